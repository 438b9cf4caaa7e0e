"""E-mail in (mailboxes, received messages, attachments, triage), e-mail threading
(every Message-ID we sent or received on a ticket) and signed webhooks (endpoints,
deliveries, attempts)."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.fields import EncryptedTextField

# The webhook events other systems may subscribe to (issue 17); emitted through core.events.
WEBHOOK_EVENTS = (
    "customer.created", "customer.updated", "transaction.created", "interaction.created", "ticket.created",
    "ticket.updated", "ticket.breached", "ticket.resolved", "survey_response.created", "segment.changed",
    "review.finalized",
)


class Mailbox(models.Model):
    """An IMAP mailbox polled every minute; messages after ``last_uid`` are read."""

    name = models.CharField(_("name"), max_length=100)
    host = models.CharField(_("IMAP host"), max_length=200)
    port = models.PositiveIntegerField(_("port"), default=993)
    use_tls = models.BooleanField(_("TLS"), default=True, help_text=_("IMAP over TLS (usually port 993)."))
    username = models.CharField(_("user name"), max_length=200)
    password = EncryptedTextField(_("password"), blank=True, default="")
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    active = models.BooleanField(_("active"), default=True)
    # UIDs are only meaningful within one UIDVALIDITY; a new one means read the folder again
    # (Message-ID de-duplication keeps that from creating anything twice).
    uid_validity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    # A poll claims the mailbox until then, so a slow poll and the next minute's never overlap.
    poll_lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.name


class InboundEmail(models.Model):
    """One received message, kept whatever became of it (the raw bytes are in storage)."""

    class Source(models.TextChoices):
        IMAP = "imap", _("IMAP mailbox")
        API = "api", _("Mail relay (API)")

    class Status(models.TextChoices):
        TICKET = "ticket", _("Opened a ticket")
        REPLY = "reply", _("Added to a ticket")
        TRIAGE = "triage", _("Waiting in triage")
        AUTO = "auto", _("Auto-reply or bounce (ignored)")
        DISMISSED = "dismissed", _("Dismissed")
        FAILED = "failed", _("Could not be read")

    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    mailbox = models.ForeignKey(Mailbox, verbose_name=_("mailbox"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="messages")
    # The Message-ID, or a digest of the raw bytes when a message has none: the
    # unique constraint is what makes a message received twice one message.
    dedupe_key = models.CharField(max_length=300, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True, default="")
    from_address = EncryptedTextField(_("sender"), blank=True, default="")
    from_name = models.CharField(_("sender name"), max_length=200, blank=True, default="")
    subject = models.CharField(_("subject"), max_length=300, blank=True, default="")
    body = models.TextField(_("text"), blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    error = models.TextField(_("error"), blank=True, default="")
    raw = models.FileField(_("raw message"), upload_to="inbound/raw/%Y/%m/", max_length=300)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    # The contact who wrote (replies go back to them), when the sender is one.
    contact = models.ForeignKey("crm.Contact", verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handled by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("received e-mail")
        verbose_name_plural = _("received e-mails")
        indexes = [models.Index(fields=["status", "received_at"])]
        # Held by the integration user of a mail relay (POST /api/v1/inbound-email/).
        permissions = [("receive_inbound_email", "Can post raw e-mail messages (mail relay)")]

    def __str__(self) -> str:
        return self.subject or self.dedupe_key


class EmailAttachment(models.Model):
    email = models.ForeignKey(InboundEmail, on_delete=models.CASCADE, related_name="attachments")
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="email_attachments")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    # Empty when the attachment was over the size limit (recorded, not kept).
    file = models.FileField(_("file"), upload_to="inbound/attachments/%Y/%m/", max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class MailThread(models.Model):
    """Every Message-ID that belongs to a ticket's conversation (sent or received):
    a reply's In-Reply-To / References finds its ticket here."""

    message_id = models.CharField(max_length=300, unique=True)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="mail_thread")
    outgoing = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]


class SenderAddress(models.Model):
    """Who an e-mail address belongs to. Addresses are encrypted in crm, so they
    are looked up by a keyed hash (core.crypto.blind_index of the lower-cased address)."""

    address_hash = models.CharField(max_length=32, db_index=True)
    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("crm.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(contact__isnull=True),
                                    name="sender_address_one_per_customer"),
            models.UniqueConstraint(fields=["contact"], condition=Q(contact__isnull=False),
                                    name="sender_address_one_per_contact"),
        ]


class Webhook(models.Model):
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = EncryptedTextField(_("secret"))
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one webhook. ``body`` is the exact bytes signed and sent, the
    same on every attempt, as is ``uuid`` (X-CRM-Delivery)."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("delivery status", "Pending")
        SUCCEEDED = "succeeded", pgettext_lazy("delivery status", "Delivered")
        FAILED = "failed", pgettext_lazy("delivery status", "Failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=40)
    body = models.TextField()
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("last response code"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    # Set when a failed delivery is sent again: its 24-hour retry window starts anew.
    requeued_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due_idx"),
            models.Index(fields=["webhook", "created_at"]),
        ]


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(_("at"))
    status_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    ok = models.BooleanField(_("succeeded"), default=False)
    error = models.CharField(_("error"), max_length=300, blank=True, default="")
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
