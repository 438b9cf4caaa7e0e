from django.conf import settings
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.fields import EncryptedTextField


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


class Job(models.Model):
    """One piece of background work of any app (``kind`` names its handler in
    ``core.jobs``). Written only by ``core.jobs``; read through ``core.selectors``."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("job status", "Queued")
        RUNNING = "running", pgettext_lazy("job status", "Running")
        SUCCEEDED = "succeeded", pgettext_lazy("job status", "Succeeded")
        FAILED = "failed", pgettext_lazy("job status", "Failed")
        CANCELLED = "cancelled", pgettext_lazy("job status", "Cancelled")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(pgettext_lazy("job", "kind"), max_length=64)
    status = models.CharField(pgettext_lazy("job", "status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    params = models.JSONField(pgettext_lazy("job", "parameters"), default=dict, blank=True)
    progress_done = models.PositiveBigIntegerField(pgettext_lazy("job", "done"), default=0)
    progress_total = models.PositiveBigIntegerField(pgettext_lazy("job", "total"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    summary = models.JSONField(pgettext_lazy("job", "summary"), default=dict, blank=True)
    error = models.TextField(pgettext_lazy("job", "error"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(pgettext_lazy("job", "attempts"), default=0)
    # When the runner task last reached the broker (None: never, e.g. the broker was
    # down at commit); the sweeper re-sends queued jobs by this.
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    dispatch_count = models.PositiveIntegerField(pgettext_lazy("job", "dispatches"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [
            models.Index(fields=["kind", "-created_at"]),
            # The sweeper's two scans (queued never dispatched, running with a stale heartbeat).
            models.Index(fields=["status", "dispatched_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int | None:
        """0-100, or None while the total is unknown."""
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return None
        return min(100, int(100 * self.progress_done / self.progress_total))


class OutboxRow(models.Model):
    """What every outbox row has (core.outbox): written in the caller's transaction,
    claimed by one sender at a time with a lease, retried with back-off, marked sent."""

    created_at = models.DateTimeField(_("created at"))
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    # A sender holds the row until then; a sender that died is replaced after it.
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(pgettext_lazy("job", "attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        abstract = True


class OutboundEmail(OutboxRow):
    """An e-mail waiting to leave (or sent): written in the caller's transaction by
    ``core.outbox.email_queue``, sent by a worker after commit, retried with back-off
    while the mail server fails. Bodies are encrypted (they can carry single-use
    links) and cleared once sent."""

    to = models.JSONField(pgettext_lazy("e-mail", "to"))
    subject = models.CharField(pgettext_lazy("e-mail", "subject"), max_length=998)
    body = EncryptedTextField(pgettext_lazy("e-mail", "body"), blank=True)
    html = EncryptedTextField(_("HTML body"), blank=True)
    headers = models.JSONField(pgettext_lazy("e-mail", "headers"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbound e-mail")
        verbose_name_plural = _("outbound e-mails")
        # The sweeper's scan: unsent rows by due time.
        indexes = [models.Index(fields=["next_attempt_at"], condition=models.Q(sent_at__isnull=True),
                                name="outbound_email_unsent_due")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject[:40]} → {', '.join(self.to)}"


class OutboundSms(OutboxRow):
    """A text message waiting to leave (or sent), through the same outbox as e-mail
    (``core.outbox.sms_queue``). ``event_key`` names the event it announces
    (e.g. ``ticket.resolved:42:2026-12-03T10:00:00+00:00``) and is unique: an
    event that fires twice still sends one message. The number is encrypted and
    shown masked; the text is kept for the record."""

    event_key = models.CharField(_("event"), max_length=200, unique=True)
    to = EncryptedTextField(pgettext_lazy("sms", "to"))
    text = EncryptedTextField(pgettext_lazy("sms", "text"))
    # The provider's approved template and its parameters (the HTTP gateway sends
    # these; the console and locmem backends show the rendered text).
    template_code = models.CharField(_("template code"), max_length=100, blank=True)
    params = models.JSONField(_("template parameters"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    provider_id = models.CharField(_("provider message ID"), max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbound SMS")
        verbose_name_plural = _("outbound SMS")
        indexes = [models.Index(fields=["next_attempt_at"], condition=models.Q(sent_at__isnull=True),
                                name="outbound_sms_unsent_due")]

    def __str__(self) -> str:
        from core.masking import mask_phone

        return f"#{self.pk} {self.event_key} → {mask_phone(self.to)}"
