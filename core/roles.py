"""The roles. What each role may do is decided in core.access."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    SUPPORT = "support", _("Support")
    TEAM_LEAD = "team_lead", _("Team lead")
    ADMIN = "admin", _("Admin")
