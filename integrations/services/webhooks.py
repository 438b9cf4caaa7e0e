"""Webhooks: endpoints (admin), deliveries created in the transaction of the change
they announce, and the sending with signature, back-off and redelivery.

Delivery rows are written by :func:`webhook_events_emit` (a core.events receiver)
inside the emitting service's transaction; the send task is queued with
``transaction.on_commit``, so a rolled-back change sends nothing. The minute
beat job (:func:`webhook_deliveries_due_send`) picks up anything whose task was
lost and every retry that has come due."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.broker import task_send
from crm.bulk import BULK_WRITTEN
from integrations import payloads
from integrations.models import WEBHOOK_EVENTS, Webhook, WebhookAttempt, WebhookDelivery
from integrations.services import http

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5
RETRY_WINDOW = dt.timedelta(hours=24)
FIRST_RETRY = dt.timedelta(minutes=1)
MAX_RETRY_GAP = dt.timedelta(hours=4)
# A sender claims a delivery for this long; a worker that dies mid-send is retried after it.
CLAIM_LEASE = dt.timedelta(seconds=TIMEOUT_SECONDS * 6)
SEGMENT_BATCH = 1000  # customers per delivery of segment.changed and of a bulk write's customer events
_SUBSCRIBED_KEY = "integrations:webhook-subscriptions:v1"


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential back-off after the ``attempts``-th failure: 1, 2, 4, 8 … minutes, at most 4 hours apart."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), MAX_RETRY_GAP)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


# --- endpoints -----------------------------------------------------------------------------------------------

def _clean(*, url: str, events: list[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(events or []) - set(WEBHOOK_EVENTS))
    if not events:
        errors["events"] = [_("Choose at least one event.")]
    elif unknown:
        errors["events"] = [_("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}]
    try:
        http.check_url(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
    except http.Refused as exc:
        errors["url"] = [str(exc)]
    return errors


def _forget_subscriptions() -> None:
    transaction.on_commit(lambda: cache.delete(_SUBSCRIBED_KEY))
    cache.delete(_SUBSCRIBED_KEY)


@transaction.atomic
def webhook_create(*, actor, url: str, events: list[str], now: dt.datetime, secret: str = "",
                   active: bool = True) -> tuple[Webhook, str]:
    """Returns the webhook and its secret in clear: the only time it is shown
    (a blank secret is generated)."""
    errors = _clean(url=url, events=events)
    if errors:
        raise ValidationError(errors)
    secret = secret or secrets.token_urlsafe(32)
    hook = Webhook.objects.create(url=url, events=sorted(set(events)), secret=secret, active=active,
                                  created_by=actor, created_at=now)
    _forget_subscriptions()
    return hook, secret


@transaction.atomic
def webhook_update(*, webhook: Webhook, data: dict) -> Webhook:
    """``data`` may hold url, events, active and a new secret (blank keeps the old one)."""
    url, events = data.get("url", webhook.url), data.get("events", webhook.events)
    errors = _clean(url=url, events=events)
    if errors:
        raise ValidationError(errors)
    webhook.url, webhook.events = url, sorted(set(events))
    fields = ["url", "events"]
    if "active" in data:
        webhook.active = bool(data["active"])
        fields.append("active")
    if data.get("secret"):
        webhook.secret = data["secret"]
        fields.append("secret")
    webhook.save(update_fields=fields)
    _forget_subscriptions()
    return webhook


def webhook_delete(*, webhook: Webhook) -> None:
    webhook.delete()
    _forget_subscriptions()


# --- deliveries ----------------------------------------------------------------------------------------------

def _subscriptions() -> list[tuple[int, list[str]]]:
    subs = cache.get(_SUBSCRIBED_KEY)
    if subs is None:
        subs = [(pk, list(events)) for pk, events in Webhook.objects.filter(active=True).values_list("id", "events")]
        cache.set(_SUBSCRIBED_KEY, subs, 300)
    return subs


def _body(*, delivery_uuid: uuid.UUID, event: str, now: dt.datetime, data) -> str:
    return json.dumps({"id": str(delivery_uuid), "event": event, "created_at": now.isoformat(), "data": data},
                      cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _segment_batches(payload: dict) -> list[dict]:
    """One delivery per 1,000 changed customers (a recompute changing 100,000 tiers sends 100)."""
    changes = list(payload.get("customers", []))
    head = {k: v for k, v in payload.items() if k != "customers"}
    total = len(changes)
    return [{**head, "batch": i // SEGMENT_BATCH + 1, "batches": (total + SEGMENT_BATCH - 1) // SEGMENT_BATCH,
             "customers": changes[i:i + SEGMENT_BATCH]} for i in range(0, total, SEGMENT_BATCH)]


def _render(event: str, obj, *, now: dt.datetime):
    """The delivery's data. A webhook must never break the change it announces: if
    rendering fails (in a savepoint, so PostgreSQL's transaction stays usable), the
    delivery carries the id only and the error is logged."""
    try:
        with transaction.atomic():
            return payloads.render(event, obj, now=now)
    except Exception:
        log.exception("webhook payload of %s could not be rendered", event)
        return {"id": getattr(obj, "pk", None), "incomplete": True}


def _bulk_customer_batches(ids: list[int], *, now: dt.datetime) -> list[dict]:
    """Customers written around the services (an import, the demo loader): one delivery
    per 1,000, ``{"bulk": true, "batch", "batches", "customers": [the customer as the API
    shows it, …]}``."""
    batches = (len(ids) + SEGMENT_BATCH - 1) // SEGMENT_BATCH
    return [{"bulk": True, "batch": i // SEGMENT_BATCH + 1, "batches": batches,
             "customers": _render_many(ids[i:i + SEGMENT_BATCH], now=now)}
            for i in range(0, len(ids), SEGMENT_BATCH)]


def _render_many(ids: list[int], *, now: dt.datetime) -> list[dict]:
    """As :func:`_render`, for a batch: never breaks the write (ids only, logged)."""
    try:
        with transaction.atomic():
            return payloads.customers_render(ids, now=now)
    except Exception:
        log.exception("webhook payload of %s customers could not be rendered", len(ids))
        return [{"id": pk, "incomplete": True} for pk in ids]


def _bulk_written_emit(payload: dict, *, now: dt.datetime) -> list[WebhookDelivery]:
    if payload.get("entity") != "customers":
        return []  # contacts have no webhook event
    created = []
    for event, key in (("customer.created", "created"), ("customer.updated", "updated")):
        hook_ids = [pk for pk, events in _subscriptions() if event in events]
        if hook_ids and payload.get(key):
            created += _deliveries_create(event, hook_ids, _bulk_customer_batches(payload[key], now=now), now=now)
    return created


def webhook_events_emit(*, event: str, obj, now: dt.datetime) -> list[WebhookDelivery]:
    """core.events receiver: a delivery row per subscribed active webhook, in the
    caller's transaction; each is sent by a worker after commit."""
    if event == BULK_WRITTEN:
        return _bulk_written_emit(obj, now=now)
    if event not in WEBHOOK_EVENTS:
        return []
    hook_ids = [pk for pk, events in _subscriptions() if event in events]
    if not hook_ids:
        return []
    datas = _segment_batches(obj) if event == "segment.changed" else [_render(event, obj, now=now)]
    return _deliveries_create(event, hook_ids, datas, now=now)


def _deliveries_create(event: str, hook_ids: list[int], datas: list, *, now: dt.datetime) -> list[WebhookDelivery]:
    rows = []
    for hook_id in hook_ids:
        for data in datas:
            key = uuid.uuid4()
            rows.append(WebhookDelivery(uuid=key, webhook_id=hook_id, event=event, created_at=now,
                                        next_attempt_at=now, body=_body(delivery_uuid=key, event=event, now=now,
                                                                        data=data)))
    created = WebhookDelivery.objects.bulk_create(rows)
    ids = [d.uuid for d in created]
    transaction.on_commit(lambda: _queue_send(ids))
    return created


def _queue_send(uuids: list[uuid.UUID]) -> None:
    # A broker outage never reaches the caller: the minute sweep sends what was not queued.
    for key in uuids:
        task_send("integrations.webhook_delivery_send", kwargs={"delivery_uuid": str(key)})


def _claim(delivery_uuid, now: dt.datetime) -> WebhookDelivery | None:
    """Conditional UPDATE: only one sender gets a due delivery (a second worker, a
    redelivered task or the beat sweep find nothing to do)."""
    claimed = (WebhookDelivery.objects
               .filter(uuid=delivery_uuid, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
               .update(next_attempt_at=now + CLAIM_LEASE))
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("webhook").get(uuid=delivery_uuid)


def webhook_delivery_send(*, delivery_uuid, now: dt.datetime) -> WebhookAttempt | None:
    """One attempt if the delivery is due (idempotent otherwise). A 2xx answer
    delivers it; anything else or a timeout schedules the next try by
    :func:`retry_delay`, until 24 hours after it was (re)queued, then it has failed."""
    delivery = _claim(delivery_uuid, now)
    if delivery is None:
        return None
    hook = delivery.webhook
    body = delivery.body.encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "crm-webhooks/1",
               "X-CRM-Event": delivery.event, "X-CRM-Delivery": str(delivery.uuid),
               "X-CRM-Signature": signature(hook.secret, body)}
    started = time.monotonic()
    try:
        code = http.post(hook.url, body=body, headers=headers, timeout=TIMEOUT_SECONDS,
                         allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
        error = ""
    except http.Refused as exc:
        code, error = None, str(exc)
    except OSError as exc:  # timeouts, refused connections, TLS and DNS errors
        code, error = None, f"{type(exc).__name__}: {exc}"[:300]
    return _record(delivery, now=now, code=code, error=error, duration_ms=int((time.monotonic() - started) * 1000))


@transaction.atomic
def _record(delivery: WebhookDelivery, *, now: dt.datetime, code: int | None, error: str,
            duration_ms: int) -> WebhookAttempt:
    ok = code is not None and 200 <= code < 300
    attempt = WebhookAttempt.objects.create(delivery=delivery, at=now, status_code=code, ok=ok,
                                            error=error[:300], duration_ms=duration_ms)
    delivery.attempts += 1
    delivery.last_status_code = code
    if ok:
        delivery.status, delivery.next_attempt_at, delivery.finished_at = WebhookDelivery.Status.SUCCEEDED, None, now
    else:
        following = now + retry_delay(delivery.attempts)
        window_start = delivery.requeued_at or delivery.created_at
        if following > window_start + RETRY_WINDOW:
            delivery.status, delivery.next_attempt_at, delivery.finished_at = WebhookDelivery.Status.FAILED, None, now
        else:
            delivery.next_attempt_at = following
    delivery.save(update_fields=["attempts", "last_status_code", "status", "next_attempt_at", "finished_at"])
    return attempt


def webhook_deliveries_due_send(*, now: dt.datetime, limit: int = 200) -> int:
    """Beat job (every minute): one attempt for each pending delivery that is due."""
    due = list(WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "id").values_list("uuid", flat=True)[:limit])
    return sum(1 for key in due if webhook_delivery_send(delivery_uuid=key, now=now) is not None)


@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery, now: dt.datetime) -> WebhookDelivery:
    """Send a failed delivery again: same body, same X-CRM-Delivery, a new 24-hour window."""
    updated = (WebhookDelivery.objects.filter(pk=delivery.pk)
               .filter(Q(status=WebhookDelivery.Status.FAILED))
               .update(status=WebhookDelivery.Status.PENDING, next_attempt_at=now, finished_at=None, requeued_at=now))
    if not updated:
        raise ValidationError({"status": [_("Only a failed delivery can be sent again.")]})
    delivery.refresh_from_db()
    key = delivery.uuid
    transaction.on_commit(lambda: _queue_send([key]))
    return delivery
