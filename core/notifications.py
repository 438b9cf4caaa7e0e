"""Notification kinds. A notification stores its kind and parameters, never
finished text: each kind has a renderer that turns the parameters into
(title, body) in the active language, so a reader sees it in their language,
whoever's language was active when it was made.

Renderers live in the owning app's ``notifications.py`` (discovered on first
use) and register with ``@notification_kind("app_kind")``.

Other generated text stored on a row works the same way (a follow-up's reason, a
ticket's SLA event note): the row keeps a text kind and its parameters, and
:func:`stored_text` renders them in the reader's language; the kind's renderer
registers with ``@text_kind("app.kind")`` in the same modules."""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils import translation
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import pgettext

Renderer = Callable[[dict], tuple[str, str]]
TextRenderer = Callable[[dict], str]
_RENDERERS: dict[str, Renderer] = {}
_TEXTS: dict[str, TextRenderer] = {}
_discovered = False


def notification_kind(kind: str) -> Callable[[Renderer], Renderer]:
    def register(renderer: Renderer) -> Renderer:
        _RENDERERS[kind] = renderer
        return renderer

    return register


def text_kind(kind: str) -> Callable[[TextRenderer], TextRenderer]:
    def register(renderer: TextRenderer) -> TextRenderer:
        _TEXTS[kind] = renderer
        return renderer

    return register


def _discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("notifications")
        _discovered = True


def _renderer(kind: str) -> Renderer | None:
    _discover()
    return _RENDERERS.get(kind)


def stored_text(kind: str, params: dict | None, fallback: str) -> str:
    """A row's generated text in the active language, from its kind and parameters;
    ``fallback`` (the stored text) for free text, an unknown kind or rows without parameters."""
    if not kind or params is None:
        return fallback
    _discover()
    renderer = _TEXTS.get(kind)
    return fallback if renderer is None else renderer(params)


def text_in(kind: str, params: dict, *, language: str | None = None) -> str:
    """The text of ``kind`` in ``language`` (e.g. the fallback column, in the site's language)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return stored_text(kind, params, "")


def notification_text(notification, *, language: str | None = None) -> tuple[str, str]:
    """(title, body) of the notification in ``language`` (default: the active one).
    A kind without a renderer (free text, or rows from before kinds had parameters)
    shows its stored title and body."""
    renderer = _renderer(notification.kind)
    if renderer is None or notification.params is None:
        return notification.title, notification.body
    if language is None:
        return renderer(notification.params)
    with translation.override(language):
        return renderer(notification.params)


def recipient_language(user) -> str:
    """The language a user reads mail in: their preference where the user model has one."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def join_names(names: list[str]) -> str:
    # Chinese lists use the enumeration comma (、), English a comma and a space.
    return pgettext("list separator", ", ").join(names)
