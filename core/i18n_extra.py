"""Messages Django shows but whose zh-Hans translation Django itself lacks.

Never called: listing them here keeps them in locale/zh_Hans when makemessages runs."""
from django.utils.translation import ngettext


def _django_messages_missing_in_its_catalog(n: int) -> list[str]:  # pragma: no cover
    return [
        ngettext("This password is too short. It must contain at least %d character.",
                 "This password is too short. It must contain at least %d characters.", n),
    ]
