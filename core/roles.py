"""Roles and the rules that follow from them. One definition each."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    SUPPORT = "support", _("Support")
    TEAM_LEAD = "team_lead", _("Team lead")
    ADMIN = "admin", _("Admin")


def is_admin(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role == Role.ADMIN))


def is_team_lead(user) -> bool:
    return bool(user.is_authenticated and user.role == Role.TEAM_LEAD)


def is_support(user) -> bool:
    return bool(user.is_authenticated and user.role == Role.SUPPORT and not user.is_superuser)


def can_see_personal_data(user) -> bool:
    """Admins, team leads and account managers read personal fields of the
    customers in their scope; support sees them masked."""
    return bool(user.is_authenticated and not is_support(user))


def can_edit_customers(user) -> bool:
    return bool(user.is_authenticated and not is_support(user))
