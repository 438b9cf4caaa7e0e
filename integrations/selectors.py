"""Reads of the integrations app. Mailboxes and webhooks are admin-only (checked
by the views); the triage list is for support, admins and team leads, who may
read every sender's message."""
from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from core import access
from integrations.models import InboundEmail, Mailbox, Webhook, WebhookAttempt, WebhookDelivery


def can_triage(user) -> bool:
    """Triage shows senders nobody has matched yet, so it is for whoever may see every customer."""
    return bool(user.is_authenticated and access.sees_all_customers(user))


def mailbox_list() -> QuerySet[Mailbox]:
    return Mailbox.objects.order_by("name", "id")


def triage_list_for_user(*, user) -> QuerySet[InboundEmail]:
    if not can_triage(user):
        return InboundEmail.objects.none()
    return (InboundEmail.objects.filter(status__in=[InboundEmail.Status.TRIAGE, InboundEmail.Status.FAILED])
            .select_related("mailbox").order_by("-received_at", "-id"))


def triage_get_for_user(*, user, pk: int) -> InboundEmail:
    return get_object_or_404(triage_list_for_user(user=user).filter(status=InboundEmail.Status.TRIAGE), pk=pk)


def inbound_email_list_for_user(*, user) -> QuerySet[InboundEmail]:
    if not can_triage(user):
        return InboundEmail.objects.none()
    return InboundEmail.objects.select_related("mailbox", "ticket").order_by("-received_at", "-id")


def webhook_list_for_user(*, user) -> QuerySet[Webhook]:
    return Webhook.objects.order_by("-id") if access.is_admin(user) else Webhook.objects.none()


def webhook_get_for_user(*, user, pk) -> Webhook:
    return get_object_or_404(webhook_list_for_user(user=user), pk=pk)


def webhook_deliveries(*, webhook: Webhook) -> QuerySet[WebhookDelivery]:
    """Every delivery of the webhook with its attempts preloaded (no query per row)."""
    return (webhook.deliveries.order_by("-created_at", "-id")
            .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("at", "id"))))


def webhook_delivery_get(*, webhook: Webhook, uuid) -> WebhookDelivery:
    return get_object_or_404(webhook.deliveries.all(), uuid=uuid)


def ticket_attachments(*, ticket) -> list:
    """The e-mail attachments of a ticket the caller may read (one query)."""
    from integrations.models import EmailAttachment

    return list(EmailAttachment.objects.filter(ticket=ticket).order_by("id"))


def ticket_attachment_get_for_user(*, user, ticket_pk: int, pk: int):
    """404 unless the user may read the ticket and the file belongs to it."""
    from integrations.models import EmailAttachment
    from tickets.selectors import ticket_get_for_user

    ticket = ticket_get_for_user(user=user, pk=ticket_pk)
    return get_object_or_404(EmailAttachment.objects.exclude(file=""), ticket=ticket, pk=pk)
