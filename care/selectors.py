"""Reads of the care layer. For other apps:

- ``queue_items_annotate(items=, now=)``: the follow-up queue (segmentation.queue)
  hands its page here; each item gets ``contact_window`` (the customer's preferred
  contact window as text, "" when none) and ``outside_window`` (True when ``now``
  falls outside it), and items whose window is open come first on the page; a
  follow-up opened by a care task (birthday, holiday) becomes ``kind`` "care" with
  ``care`` (the ``CareTask``: greeting, perk) and its reason in the reader's
  language; ``talking``: what to say (talking_points_by_tier, customer_contexts).
  A fixed number of queries per page, none per item.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def contact_window_label(customer) -> str:
    start, end = customer.contact_window_start, customer.contact_window_end
    if start is None or end is None:
        return ""
    return f"{start:%H:%M}–{end:%H:%M}"


def in_contact_window(customer, *, at: datetime) -> bool:
    """True when the customer has no window or ``at`` (local time) is inside it (end exclusive)."""
    start, end = customer.contact_window_start, customer.contact_window_end
    if start is None or end is None:
        return True
    local: time = timezone.localtime(at).time()
    return start <= local < end


def queue_items_annotate(*, items: list[dict], today: date, now: datetime | None, user=None) -> list[dict]:
    """See the module docstring. Without ``now`` the window is shown but not judged;
    with ``user``, each item gets ``talking`` (its tier's points and the customer's
    own context, customer_contexts)."""
    from care.models import CareTask

    if user is not None and items:
        points = talking_points_by_tier()
        contexts = customer_contexts(user=user, customer_ids=list({i["customer"].pk for i in items}), today=today)
        for item in items:
            item["talking"] = {"points": points.get(item.get("tier") or ""),
                               "context": contexts.get(item["customer"].pk, {}), "customer": item["customer"]}

    followup_ids = [item["followup"].pk for item in items if item.get("followup") is not None]
    tasks = ({t.followup_id: t for t in CareTask.objects.filter(followup_id__in=followup_ids)
              .select_related("contact")} if followup_ids else {})
    for item in items:
        task = tasks.get(item["followup"].pk) if item.get("followup") is not None else None
        item["care"] = task
        if task is not None:
            item["kind"] = "care"
            item["reason"] = care_task_reason(task, customer=item["customer"], today=today)
        customer = item["customer"]
        item["contact_window"] = contact_window_label(customer)
        item["outside_window"] = now is not None and not in_contact_window(customer, at=now)
    # sorted() is stable: within each group the queue's own order stands.
    return sorted(items, key=lambda item: item["outside_window"])


def care_task_reason(task, *, customer, today: date) -> str:
    """What the queue says about a care task, in the reader's language."""
    from django.utils.translation import gettext as _

    from care.models import Occasion

    days = (task.occasion_date - today).days
    when = (_("today") if days <= 0 else
            _("tomorrow") if days == 1 else _("in %(days)s days") % {"days": days})
    if task.occasion == Occasion.BIRTHDAY:
        who = (_("%(contact)s (key contact)") % {"contact": task.contact.name}) if task.contact else customer.name
        return _("Birthday of %(who)s on %(day)s, %(when)s") % {
            "who": who, "day": f"{task.occasion_date:%m-%d}", "when": when}
    return _("%(holiday)s on %(day)s, %(when)s") % {
        "holiday": task.holiday_name, "day": f"{task.occasion_date:%m-%d}", "when": when}


def care_settings_get():
    """The settings singleton (defaults until a lead saves the page)."""
    from care.models import CareSettings

    return CareSettings.objects.filter(pk=1).first() or CareSettings(pk=1)


def perks_by_level() -> dict[str, object]:
    """Every membership level's perks: the stored row, or an unsaved one with the defaults."""
    from care.holidays import DEFAULT_PERKS
    from care.models import MembershipPerk
    from segmentation.models import MembershipLevel

    stored = {p.membership_level: p for p in MembershipPerk.objects.all()}
    out = {}
    for level, _label in MembershipLevel.choices:
        birthday, holiday = (str(text) for text in DEFAULT_PERKS.get(level, ("", "")))
        out[level] = stored.get(level) or MembershipPerk(membership_level=level, birthday_perk=birthday,
                                                         holiday_perk=holiday)
    return out


def holidays_in_year(*, year: int):
    from care.models import Holiday

    return Holiday.objects.filter(date__year=year).order_by("date")


def talking_points_by_tier() -> dict[str, object]:
    """Every tier's talking points: the stored row, or an unsaved one with seed 001's defaults."""
    from care.holidays import DEFAULT_TALKING_POINTS
    from care.models import TalkingPoints
    from segmentation.models import Tier

    stored = {t.tier: t for t in TalkingPoints.objects.all()}
    return {tier: stored.get(tier) or TalkingPoints(tier=tier, points=str(DEFAULT_TALKING_POINTS.get(tier, "")))
            for tier, _label in Tier.choices}


RECENT_COMPLAINT_DAYS = 90


def customer_contexts(*, user, customer_ids: list[int], today: date) -> dict[int, dict]:
    """Per customer, what makes the script its own: the last purchase (date and
    amount; only for who may see money), the open or recent (90 days) complaint,
    the last survey answer. Three queries for any number of customers."""
    from django.db.models import OuterRef, Q, Subquery

    from core import access
    from core.clock import day_start
    from crm.models import Customer, Transaction
    from surveys.models import SurveyResponse
    from tickets.models import Ticket

    if not customer_ids:
        return {}
    purchases = Transaction.objects.filter(customer_id=OuterRef("pk"), kind=Transaction.Kind.PURCHASE).order_by(
        "-occurred_on", "-id")
    since = day_start(today) - timedelta(days=RECENT_COMPLAINT_DAYS)
    complaints = Ticket.objects.filter(customer_id=OuterRef("pk"), is_complaint=True).filter(
        Q(resolved_at__isnull=True, closed_at__isnull=True) | Q(created_at__gte=since)).order_by("-created_at", "-id")
    answers = SurveyResponse.objects.filter(customer_id=OuterRef("pk")).order_by("-answered_at", "-id")
    money = access.can_see_money(user)
    annotations = {"complaint_id": Subquery(complaints.values("pk")[:1]),
                   "answer_id": Subquery(answers.values("pk")[:1])}
    if money:
        annotations["last_purchase_on"] = Subquery(purchases.values("occurred_on")[:1])
        annotations["last_purchase_amount"] = Subquery(purchases.values("amount")[:1])
    rows = list(Customer.objects.for_user(user).filter(pk__in=customer_ids).annotate(**annotations)
                .values("pk", *annotations))
    ticket_ids = [r["complaint_id"] for r in rows if r["complaint_id"]]
    answer_ids = [r["answer_id"] for r in rows if r["answer_id"]]
    tickets = {t.pk: t for t in Ticket.objects.filter(pk__in=ticket_ids)} if ticket_ids else {}
    responses = {r.pk: r for r in SurveyResponse.objects.filter(pk__in=answer_ids)} if answer_ids else {}
    return {r["pk"]: {"last_purchase_on": r.get("last_purchase_on"), "last_purchase_amount": r.get("last_purchase_amount"),
                      "complaint": tickets.get(r["complaint_id"]), "answer": responses.get(r["answer_id"])}
            for r in rows}


def talking_context(*, user, customer, tier: str, today: date) -> dict:
    """The follow-up form's "What to say" for one customer."""
    points = talking_points_by_tier().get(tier)
    context = customer_contexts(user=user, customer_ids=[customer.pk], today=today).get(customer.pk, {})
    return {"points": points, "context": context, "customer": customer}


# Tenure bands of the lost customers' profile: [lower, upper) in days since the first deal.
TENURE_BANDS = ((0, 183), (183, 365), (365, 3 * 365 + 1), (3 * 365 + 1, None))


def _tenure_label(band) -> str:
    from django.utils.translation import gettext as _

    low, high = band
    if low == 0:
        return _("under 6 months")
    if high is None:
        return _("3 years or more")
    return _("6–12 months") if low == 183 else _("1–3 years")


def _counted(values, labels: dict, *, blank: str) -> list[dict]:
    """Counts of each value, most frequent first (ties in the choices' order), with its label."""
    from collections import Counter

    order = {key: i for i, key in enumerate(labels)}
    counts = Counter(values)
    return [{"key": key, "label": str(labels.get(key, blank) if key else blank), "count": n}
            for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], order.get(kv[0], len(order))))]


def losses_summary(*, start: date, end: date, team_id: int | None = None, tier: str | None = None) -> dict:
    """Why customers left between ``start`` and ``end`` (inclusive) and who they were
    (tier, value tier, tenure, last complaint category when lost): counts, most
    frequent first. ``team_id``: the customers' team; ``tier``: the tier they were
    in when lost. One query. The review report's churn row shows it."""
    from statistics import median

    from django.utils.translation import gettext as _

    from care.models import CustomerLoss, LossReason
    from segmentation.models import Tier, ValueTier
    from tickets.models import Category

    losses = CustomerLoss.objects.filter(lost_on__gte=start, lost_on__lte=end)
    if team_id is not None:
        losses = losses.filter(customer__team_id=team_id)
    if tier:
        losses = losses.filter(tier=tier)
    rows = list(losses.values_list("reason", "tier", "value_tier", "tenure_days", "last_complaint_category"))
    tenures = [r[3] for r in rows if r[3] is not None]
    bands = []
    for band in TENURE_BANDS:
        low, high = band
        n = sum(1 for t in tenures if t >= low and (high is None or t < high))
        if n:
            bands.append({"key": f"{low}-{high or ''}", "label": _tenure_label(band), "count": n})
    return {
        "total": len(rows),
        "reasons": _counted([r[0] for r in rows], dict(LossReason.choices), blank="—"),
        "tiers": _counted([r[1] for r in rows], dict(Tier.choices), blank=_("no tier")),
        "value_tiers": _counted([r[2] for r in rows], dict(ValueTier.choices), blank=_("no tier")),
        "tenure": bands,
        "median_tenure_days": int(median(tenures)) if tenures else None,
        "complaints": _counted([r[4] for r in rows], dict(Category.choices), blank=_("no complaint")),
    }


def customer_loss_current(*, customer) -> CustomerLoss | None:
    """The loss that still holds: the latest one, unless the customer bought again after it."""
    from django.db.models import Max

    from care.models import CustomerLoss
    from crm.models import Transaction

    loss = CustomerLoss.objects.filter(customer=customer).order_by("-lost_on", "-id").first()
    if loss is None:
        return None
    bought = (Transaction.objects.filter(customer=customer, kind=Transaction.Kind.PURCHASE)
              .aggregate(last=Max("occurred_on"))["last"])
    return loss if bought is None or bought <= loss.lost_on else None
