from django.conf import settings
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class AuditLog(models.Model):
    """One row per read of unmasked personal data (and other sensitive acts)."""

    class Action(models.TextChoices):
        REVEAL = "reveal", _("Read personal data")
        EXPORT = "export", _("Exported data")

    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    fields = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=16, blank=True)  # web / api / export

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.object_type}#{self.object_id}"


class Notification(models.Model):
    """In-app notification; e-mail copy sent by a Celery task after commit.

    ``params`` holds what the kind's renderer needs (core.notifications), so the
    text is made in the reader's language when it is read; ``title``/``body`` are
    the text of kinds without a renderer (and of rows made before ``params``)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    params = models.JSONField(null=True, blank=True)
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.text_title

    @cached_property
    def _text(self) -> tuple[str, str]:
        from core.notifications import notification_text

        return notification_text(self)

    @property
    def text_title(self) -> str:
        return self._text[0]

    @property
    def text_body(self) -> str:
        return self._text[1]
