"""Keyset ("seek") paging for HTML lists: page 400 costs what page 1 costs.

A list is sorted on one column and the primary key (ties broken by it), both in
the same direction; a nullable column puts its NULLs last either way. The cursor
is the last (or, going back, the first) row's column value and id, plus the page
number for display. Each page reads ``size + 1`` rows from the sort column's index:
the condition starts the index scan at the cursor (``col >= value`` and a filter
for the tie), and the NULL rows are read as a second region (``col IS NULL`` by id)
only once the others are exhausted, because "value or NULL" is no index range and
``NULLS LAST`` on a descending sort does not match a b-tree read backwards.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class KeysetSort:
    column: str
    descending: bool = False
    nullable: bool = False


@dataclass
class KeysetPage:
    rows: list
    number: int
    next_cursor: str = ""
    previous_cursor: str = ""
    size: int = 25
    extra: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _encode(number: int, value, pk: int, *, backwards: bool = False) -> str:
    raw = json.dumps([number, None if value is None else str(value), pk, int(backwards)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str | None, *, to_python) -> tuple[int, object, int, bool] | None:
    """None for a missing or malformed cursor (a link, not user data worth a 400)."""
    if not cursor:
        return None
    try:
        number, value, pk, backwards = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return int(number), (None if value is None else to_python(value)), int(pk), bool(backwards)
    except (ValueError, TypeError, json.JSONDecodeError):
        return None


def _regions(queryset: QuerySet, sort: KeysetSort, *, at, pk: int | None, forward: bool) -> list[QuerySet]:
    """Querysets to read in turn, each ordered from an index, strictly after (or,
    ``forward=False``, before) the row ``(at, pk)`` (none: from the start / end)."""
    column = sort.column
    ascending = sort.descending != forward  # the direction this read walks the column
    sign = "" if ascending else "-"
    after = "gt" if ascending else "lt"
    bound = "gte" if ascending else "lte"
    values = queryset.filter(**{f"{column}__isnull": False}) if sort.nullable else queryset
    values = values.order_by(f"{sign}{column}", f"{sign}pk")
    nulls = queryset.filter(**{f"{column}__isnull": True}).order_by(f"{sign}pk") if sort.nullable else None
    if pk is not None and at is None:  # inside the NULL region
        nulls = nulls.filter(**{f"pk__{after}": pk})
        return [nulls] if forward else [nulls, values]
    if pk is not None:
        values = values.filter(Q(**{f"{column}__{after}": at}) | Q(**{column: at, f"pk__{after}": pk}),
                               **{f"{column}__{bound}": at})
    if nulls is None:
        return [values]
    return [values, nulls] if forward else ([values] if pk is not None else [nulls, values])


def keyset_page(queryset: QuerySet, *, sort: KeysetSort, cursor: str | None, size: int) -> KeysetPage:
    to_python = queryset.model._meta.get_field(sort.column).to_python
    position = _decode(cursor, to_python=to_python)
    number, at, pk, backwards = position if position else (0, None, None, False)
    forward = not backwards
    rows: list = []
    for region in _regions(queryset, sort, at=at, pk=pk, forward=forward):
        rows.extend(region[: size + 1 - len(rows)])
        if len(rows) > size:
            break
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    page_number = number + 1 if forward else max(number - 1, 1)
    page = KeysetPage(rows=rows, number=page_number if position else 1, size=size)
    if rows:
        first, last = rows[0], rows[-1]
        if forward and more or not forward:
            page.next_cursor = _encode(page.number, getattr(last, sort.column), last.pk)
        if page.number > 1 and (not forward and more or forward):
            page.previous_cursor = _encode(page.number, getattr(first, sort.column), first.pk, backwards=True)
    return page
