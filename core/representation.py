"""DRF's ``Serializer.to_representation``, planned once per serializer instead of per row.

For each row DRF walks every readable field and calls ``field.get_attribute`` (a
generic walk over ``source_attrs`` with Mapping, callable and missing-attribute
handling) then ``field.to_representation``. On a page of 50 customers that is
about half of the list API's time (bench/README.md, "Load"). ``represent`` gives
the same dict: it plans, once per bound serializer (a ``many=True`` list's child
is one instance for the whole page), a getter and a renderer per field, and
takes DRF's own path for anything the plan does not cover:

- a plain ``source`` on an object (not a Mapping) is read with ``getattr``; a
  value that is callable, or any exception on the way (a missing related row, a
  missing attribute), hands that field of that row to ``field.get_attribute``, so
  defaults, ``allow_null`` and the error messages are DRF's;
- a primary-key relation with DRF's pk-only optimisation is read with
  ``serializable_value`` (the ``*_id`` column, no join needed);
- ``CharField`` / ``IntegerField`` render with ``str`` / ``int`` (what their
  ``to_representation`` is); a nested plain serializer is planned the same way;
  every other field keeps its own ``to_representation``.

``tests`` compare ``represent`` with DRF's path on every field of the serializers
that use it (core/tests/test_representation.py).
"""
from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping

from django.db.models.manager import BaseManager
from rest_framework import ISO_8601, fields, relations, serializers
from rest_framework.settings import api_settings

_PLAN = "_represent_plan"
_MISSING = object()


def _slow(field):
    """DRF's own read of the field, returning _MISSING for SkipField."""

    def get(instance):
        try:
            return field.get_attribute(instance)
        except fields.SkipField:
            return _MISSING

    return get


def _getter(field):
    slow = _slow(field)
    attrs = list(field.source_attrs)
    cls = type(field)
    if isinstance(field, relations.RelatedField):
        def as_drf(instance):
            attribute = slow(instance)
            return attribute if attribute is _MISSING else _AsDrf(attribute)

        if (cls.get_attribute is relations.RelatedField.get_attribute and field.use_pk_only_optimization()
                and cls.to_representation is relations.PrimaryKeyRelatedField.to_representation
                and field.pk_field is None and len(attrs) == 1):
            attr = attrs[0]

            def get_pk(instance):
                if isinstance(instance, Mapping):
                    return as_drf(instance)
                try:
                    value = instance.serializable_value(attr)
                except Exception:  # noqa: BLE001 - DRF's path decides (and raises) exactly as before
                    return as_drf(instance)
                if callable(value):
                    return as_drf(instance)
                return getattr(value, "pk", value)

            return get_pk, True
        return as_drf, False
    if cls.get_attribute is not fields.Field.get_attribute or not attrs:
        return slow, False

    def get(instance):
        value = instance
        try:
            for attr in attrs:
                kind = value.__class__
                if kind in _OBJECT_TYPES:
                    value = getattr(value, attr)
                elif kind in _MAPPING_TYPES:
                    value = value[attr]
                elif _is_object(value):
                    value = getattr(value, attr)
                else:
                    value = value[attr]
                if callable(value):
                    return slow(instance)
        except Exception:  # noqa: BLE001 - a missing key, related row or attribute: DRF's path decides
            return slow(instance)
        return value

    return get, False


# Types met on the way, read by attribute or (a Mapping, as DRF does) by key: the ABC check once per type.
_OBJECT_TYPES: set[type] = set()
_MAPPING_TYPES: set[type] = set()


def _is_object(value) -> bool:
    if isinstance(value, Mapping):
        _MAPPING_TYPES.add(value.__class__)
        return False
    _OBJECT_TYPES.add(value.__class__)
    return True


class _AsDrf:
    """An attribute read by DRF's own path of a relation: checked and rendered as DRF does."""

    __slots__ = ("attribute",)

    def __init__(self, attribute):
        self.attribute = attribute


def _is_plain_serializer(field) -> bool:
    return (isinstance(field, serializers.Serializer)
            and type(field).to_representation is serializers.Serializer.to_representation)


def _renderer(field, pk_only: bool):
    cls = type(field)
    render = cls.to_representation
    if pk_only:
        return None  # the getter already returned the pk
    if render is fields.CharField.to_representation:
        return str
    if render is fields.IntegerField.to_representation:
        return int
    if render is fields.FloatField.to_representation:
        return float
    if render is fields.ChoiceField.to_representation:
        fallback = field.to_representation

        def choice(value):
            # DRF: '' as it is, else the choice whose string matches (the value itself when none does);
            # anything but a plain str (an Enum member, a number) takes DRF's own path.
            if value.__class__ is str:
                return value if value == "" else field.choice_strings_to_values.get(value, value)
            return fallback(value)

        return choice
    if render is fields.DateField.to_representation and _iso(field, api_settings.DATE_FORMAT):
        fallback = field.to_representation

        def iso_date(value):
            return value.isoformat() if value.__class__ is datetime.date else fallback(value)

        return iso_date
    if _is_plain_serializer(field):
        return lambda value: represent(field, value)
    if (isinstance(field, serializers.ListSerializer) and render is serializers.ListSerializer.to_representation
            and _is_plain_serializer(field.child)):
        child = field.child

        def many(data):
            # DRF's ListSerializer.to_representation, each item through the child's plan.
            iterable = data.all() if isinstance(data, BaseManager) else data
            return [represent(child, item) for item in iterable]

        return many
    return field.to_representation


def _iso(field, default) -> bool:
    output_format = getattr(field, "format", default)
    return isinstance(output_format, str) and output_format.lower() == ISO_8601


def plan(serializer) -> list:
    """(name, getter, renderer, field) per readable field, made once per bound serializer."""
    made = serializer.__dict__.get(_PLAN)
    if made is None:
        made = []
        for field in serializer._readable_fields:
            getter, pk_only = _getter(field)
            made.append((field.field_name, getter, _renderer(field, pk_only), field))
        serializer.__dict__[_PLAN] = made
    return made


def represent(serializer, instance) -> dict:
    """The dict DRF's ``Serializer.to_representation(instance)`` returns, faster."""
    ret = {}
    for name, get, render, field in plan(serializer):
        value = get(instance)
        if value is _MISSING:
            continue
        if value.__class__ is _AsDrf:
            attribute = value.attribute
            check = attribute.pk if isinstance(attribute, relations.PKOnlyObject) else attribute
            ret[name] = None if check is None else field.to_representation(attribute)
        elif value is None:
            ret[name] = None
        elif render is None:
            ret[name] = value
        else:
            ret[name] = render(value)
    return ret


class FastRepresentationMixin:
    """Put before the DRF serializer class in the bases: ``to_representation`` through ``represent``."""

    def to_representation(self, instance):
        return represent(self, instance)


class CachedModelFieldsMixin:
    """``ModelSerializer.get_fields`` introspects the model and builds every field again for each
    serializer made (once per request: ~1.7 ms of a customer page's CPU, bench/README.md "Load").
    Put before ``ModelSerializer``: the fields are built once per serializer class and each instance
    gets a deep copy, which is how DRF itself hands out declared fields (a field's deep copy is a new
    field made from the same arguments). ModelSerializer's fields depend on the class and its
    ``Meta`` only; a subclass that builds fields from ``self.instance`` or the context must not use it."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_built_model_fields")
        if built is None:
            built = super().get_fields()
            cls._built_model_fields = built
        return copy.deepcopy(built)
