"""The follow-up queue: the caller's due and overdue work, in due order, a page at a time.

Two streams, each read in its own index order and merged here:

- ``cadence``: customers whose tier's contact interval has run out
  (``CustomerSegment`` by ``(owner | team, next_contact_due, customer)``); of
  those due on the same day, the likelier to churn first (the latest churn
  model's probability, ``CHURN_RISK``; a customer without a score last);
- ``followup``: open ``crm.FollowUp`` rows (a next action, a detractor
  call-back...) by ``(owner, due_at, id) WHERE done_at IS NULL``.

A page reads at most ``limit + 1`` rows of each stream after the cursor, so its
cost does not depend on how many customers the company has. The cursor holds the
position of each stream (``next_contact_due``/churn probability/customer id,
``due_at``/follow-up id).
"""
from __future__ import annotations

import heapq
import struct
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import F, FloatField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import pgettext

from care import selectors as care_selectors
from core import access
from core.clock import day_end
from crm.models import Customer, FollowUp, Interaction, customer_since_expression
from segmentation import analytics
from segmentation.models import CustomerSegment, SegmentSettings
from segmentation.selectors import segment_settings_get
from xsell import selectors as xsell_selectors

QUEUE_PAGE = 25
# Ten pages: the count probes a customer per open follow-up for a team lead, so it
# stays small (past it the page says "more than").
COUNT_CAP = 250


@dataclass(frozen=True)
class QueueCursor:
    """Where the previous page stopped in each stream (None: not started)."""

    segment: tuple[date, float, int] | None = None
    followup: tuple[datetime, int] | None = None

    def encode(self) -> str:
        parts = []
        if self.segment:
            # The probability as its IEEE-754 bytes in hex: exact, and free of the "." separator.
            parts.append(f"s{self.segment[0].isoformat()}_{struct.pack('>d', self.segment[1]).hex()}_{self.segment[2]}")
        if self.followup:
            parts.append(f"f{self.followup[0].isoformat()}_{self.followup[1]}")
        return ".".join(parts)

    @classmethod
    def decode(cls, raw: str | None) -> QueueCursor:
        """A malformed cursor starts from the top (it is a link, not user data worth a 400)."""
        segment = followup = None
        for part in (raw or "").split("."):
            head, _sep, pk = part[1:].rpartition("_")
            if not pk.isdigit():
                continue
            if part.startswith("s"):
                day_text, _sep, risk_text = head.partition("_")
                day, risk = parse_date(day_text), _parse_float(risk_text)
                if day and risk is not None:
                    segment = (day, risk, int(pk))
            elif part.startswith("f") and (at := _parse_at(head)):
                followup = (at, int(pk))
        return cls(segment=segment, followup=followup)


def _parse_at(value: str) -> datetime | None:
    try:
        return parse_datetime(value.replace(" ", "+"))
    except ValueError:
        return None


def _parse_float(value: str) -> float | None:
    try:
        return struct.unpack(">d", bytes.fromhex(value))[0]
    except (ValueError, struct.error):
        return None


def _after(key: tuple, fields: tuple[str, str]) -> Q:
    """Rows strictly after ``key`` in the order ``fields`` (keyset condition)."""
    return Q(**{f"{fields[0]}__gt": key[0]}) | Q(**{fields[0]: key[0], f"{fields[1]}__gt": key[1]})


# Each cadence row's churn probability (-1 without a score): the order within a due day.
CHURN_RISK = Coalesce(F("customer__churn_score__probability"), Value(-1.0), output_field=FloatField())


def _segment_after(key: tuple[date, float, int]) -> Q:
    """Cadence rows strictly after ``key`` in (next_contact_due, churn risk desc, customer)."""
    due, risk, cid = key
    return (Q(next_contact_due__gt=due) | Q(next_contact_due=due, churn_risk__lt=risk)
            | Q(next_contact_due=due, churn_risk=risk, customer_id__gt=cid))


def _segment_streams(*, user, today: date) -> list[QuerySet[CustomerSegment]]:
    """The caller's cadence rows as one query per index to read. The copied owner /
    team picks the index; the join on the customer re-checks the scope itself."""
    due = CustomerSegment.objects.filter(next_contact_due__lte=today)
    if access.is_admin(user):
        return [due]
    own = due.filter(owner_id=user.pk, customer__owner_id=user.pk)
    if access.is_team_lead(user):
        return [due.filter(team_id=user.team_id, customer__team_id=user.team_id), own]
    return [own]


def _followups(*, user, today: date) -> QuerySet[FollowUp]:
    # for_user puts the scope in the join condition, not IN (subquery): PostgreSQL then
    # probes the customer per follow-up read instead of hashing the caller's whole scope.
    open_due = FollowUp.objects.filter(done_at__isnull=True, due_at__lt=day_end(today))
    if access.is_lead_or_admin(user):
        return open_due.for_user(user)
    return open_due.for_user(user).filter(owner=user)


def followup_queue_page(*, user, today: date, cursor: str | None = None, limit: int | None = None,
                        params: SegmentSettings | None = None, now: datetime | None = None) -> dict:
    """One page of the caller's queue on ``today``: ``{"items", "next_cursor"}``
    (``next_cursor`` is "" on the last page). A fixed number of queries per page.
    With ``now``, customers whose preferred contact window is closed come last on
    the page, marked (care.selectors.queue_items_annotate)."""
    limit = limit or QUEUE_PAGE
    params = params or segment_settings_get()
    position = QueueCursor.decode(cursor)
    last_interaction = Interaction.objects.filter(customer_id=OuterRef("customer_id")).order_by(
        "-occurred_at").values("occurred_at")[:1]
    segments: dict[int, CustomerSegment] = {}
    for stream in _segment_streams(user=user, today=today):
        stream = stream.annotate(churn_risk=CHURN_RISK)
        if position.segment:
            stream = stream.filter(_segment_after(position.segment))
        rows = (stream.select_related("customer", "customer__owner")
                .annotate(latest_interaction_at=Subquery(last_interaction),
                          customer_since=customer_since_expression("customer_id"))
                .order_by("next_contact_due", "-churn_risk", "customer_id")[: limit + 1])
        for seg in rows:
            segments.setdefault(seg.customer_id, seg)
    followups = _followups(user=user, today=today)
    if position.followup:
        followups = followups.filter(_after(position.followup, ("due_at", "id")))
    followups = list(followups.select_related("customer", "customer__owner", "customer__segment")
                     .annotate(churn_probability=F("customer__churn_score__probability"))
                     .order_by("due_at", "id")[: limit + 1])

    seg_keys = sorted(((s.next_contact_due, 1, -s.churn_risk, s.customer_id), s)
                      for s in segments.values())[: limit + 1]
    fu_keys = [((timezone.localdate(f.due_at), 0, f.pk), f) for f in followups]
    merged = list(heapq.merge(seg_keys, fu_keys, key=lambda pair: pair[0]))
    page, rest = merged[:limit], merged[limit:]
    next_segment, next_followup = position.segment, position.followup
    items = []
    for _key, row in page:
        if isinstance(row, FollowUp):
            next_followup = (row.due_at, row.pk)
            items.append(_followup_item(row, today=today, params=params))
        else:
            next_segment = (row.next_contact_due, row.churn_risk, row.customer_id)
            if item := _cadence_item(row, today=today, params=params):
                items.append(item)
    next_cursor = QueueCursor(segment=next_segment, followup=next_followup).encode() if rest else ""
    items = care_selectors.queue_items_annotate(items=items, today=today, now=now, user=user)
    items = xsell_selectors.queue_items_annotate(items=items, user=user)
    return {"items": items, "next_cursor": next_cursor}


def followup_queue_for_user(*, user, today: date, limit: int = 500,
                            params: SegmentSettings | None = None) -> list[dict]:
    """The first ``limit`` items of the caller's queue (the digest names the most overdue)."""
    return followup_queue_page(user=user, today=today, limit=limit, params=params)["items"]


def followup_queue_count(*, user, today: date) -> tuple[int, bool]:
    """Items due on ``today`` in the caller's queue, counted up to ``COUNT_CAP``;
    ``(count, capped)``."""
    # Each count keeps its stream's index order: with the LIMIT, PostgreSQL then reads
    # at most COUNT_CAP + 1 entries of the queue index instead of hashing the caller's
    # whole scope (or scanning the table) to count them.
    total = 0
    for stream in _segment_streams(user=user, today=today):
        total += stream.order_by("next_contact_due", "customer_id").values("pk")[: COUNT_CAP + 1].count()
    total += (_followups(user=user, today=today).order_by("due_at", "id").values("pk")[: COUNT_CAP + 1]
              .count())
    return min(total, COUNT_CAP), total > COUNT_CAP


def _cadence_item(seg: CustomerSegment, *, today: date, params: SegmentSettings) -> dict | None:
    """The item of a due segment, or None when a contact logged since the recompute
    (outside the queue's one-click log) has already moved its due date past today."""
    due = seg.next_contact_due
    last_contact = seg.last_contact_on
    interval = analytics.cadence_interval_days(tier=seg.tier, age_days=_age_days(seg, today), params=params)
    if seg.latest_interaction_at is not None:
        latest_day = timezone.localdate(seg.latest_interaction_at)
        if last_contact is None or latest_day > last_contact:
            due = latest_day + timedelta(days=interval)
            last_contact = latest_day
    if due > today:
        return None
    overdue = (today - due).days
    weight = analytics.value_weight(seg.value_tier, params=params)
    return {"kind": "cadence", "customer": seg.customer, "segment": seg, "followup": None,
            "due": due, "days_overdue": overdue, "urgency": overdue * weight, "value_weight": weight,
            "last_contact_on": last_contact, "tier": seg.tier, "churn_probability": _risk(seg.churn_risk),
            "reason": _cadence_reason(seg=seg, interval=interval, last_contact=last_contact, today=today)}


def _followup_item(fu: FollowUp, *, today: date, params: SegmentSettings) -> dict:
    seg = getattr(fu.customer, "segment", None) if _has_segment(fu.customer) else None
    due = timezone.localdate(fu.due_at)
    overdue = max(0, (today - due).days)
    weight = analytics.value_weight(seg.value_tier if seg else "low", params=params)
    return {"kind": "followup", "customer": fu.customer, "segment": seg, "followup": fu,
            "due": due, "days_overdue": overdue, "urgency": overdue * weight,
            "value_weight": weight, "last_contact_on": None, "tier": seg.tier if seg else "",
            "churn_probability": fu.churn_probability,
            # A Chinese sentence takes the full-width colon: the separator is translated.
            "reason": pgettext("source: reason", "%(source)s: %(reason)s") % {
                "source": fu.get_source_display(), "reason": fu.reason_text}}


def _cadence_reason(*, seg: CustomerSegment, interval: int, last_contact: date | None, today: date) -> str:
    from django.utils.translation import gettext as _

    if last_contact is None:
        contact = _("never contacted")
    else:
        contact = _("last contact %(days)s days ago") % {"days": (today - last_contact).days}
    return _("%(tier)s: contact every %(interval)s days, %(contact)s (%(why)s)") % {
        "tier": seg.get_tier_display(), "interval": interval, "contact": contact,
        "why": analytics.reason_text(seg.tier_reason)}


def _risk(value: float) -> float | None:
    return None if value < 0 else value


def _has_segment(customer: Customer) -> bool:
    try:
        customer.segment
    except CustomerSegment.DoesNotExist:
        return False
    return True


def _age_days(seg: CustomerSegment, today: date) -> int:
    """Days as a customer on ``today`` (only the 'new' cadence depends on it);
    ``customer_since`` is annotated by the page's query."""
    return (today - seg.customer_since).days
