"""Survey results read from the daily snapshots (cheap at any size), scoped to the
user the same way as their customers: admin and support everything, others
their team's and their own customers' rows."""
from __future__ import annotations

from datetime import date

from django.db.models import OuterRef, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import pgettext

from core.clock import day_end, day_start
from core.formulas import nps_from_counts, ratio, satisfaction_100_from_overall
from core.selectors import filter_given
from surveys.models import SurveyDailySnapshot, SurveyResponse

SUM_FIELDS = ("invitations_sent", "invitations_answered", "responses", "promoters", "passives", "detractors",
              "overall_sum", "overall_n", "quality_sum", "quality_n", "speed_sum", "speed_n", "resolution_sum",
              "resolution_n", "care_sum", "care_n", "ces_sum", "ces_n")
DIMENSIONS = ("quality", "speed", "resolution", "care", "overall")
GROUPS = {"tier": "tier", "team": "team_id", "owner": "owner_id", "ticket_category": "ticket_category"}


def _filtered(qs, *, tier="", team=None, owner=None, ticket_category=""):
    return filter_given(qs, tier=tier, team_id=team, owner_id=owner, ticket_category=ticket_category)


def summarize(sums: dict) -> dict:
    """Pure: the KPIs of summed snapshot rows. Averages are None without answers."""
    s = {k: sums.get(k) or 0 for k in SUM_FIELDS}
    avg = {d: ratio(s[f"{d}_sum"], s[f"{d}_n"]) for d in DIMENSIONS}
    return {
        "responses": s["responses"],
        "promoters": s["promoters"], "passives": s["passives"], "detractors": s["detractors"],
        "nps": nps_from_counts(promoters=s["promoters"], passives=s["passives"], detractors=s["detractors"]),
        "satisfaction_100": satisfaction_100_from_overall(avg["overall"]),
        "dimensions": {d: None if v is None else round(v, 2) for d, v in avg.items()},
        "ces": None if not s["ces_n"] else round(s["ces_sum"] / s["ces_n"], 2),
        "invitations_sent": s["invitations_sent"],
        "response_rate": ratio(s["invitations_answered"], s["invitations_sent"]),
    }


def survey_results(*, user, start: date, end: date, group_by: str = "", **filters) -> dict:
    """{"summary", "trend" (by month), "groups" (by ``group_by``)} — three grouped
    queries over the snapshots, whatever the number of answers."""
    sums = {f: Sum(f) for f in SUM_FIELDS}
    qs = _filtered(SurveyDailySnapshot.objects.for_user(user).filter(day__gte=start, day__lte=end), **filters)
    summary = summarize(qs.aggregate(**sums))
    trend = [{"month": r["month"], **summarize(r)} for r in
             qs.annotate(month=TruncMonth("day")).values("month").annotate(**sums).order_by("month")]
    groups = []
    if group_by in GROUPS:
        column = GROUPS[group_by]
        groups = [{"key": r[column], **summarize(r)} for r in
                  qs.values(column).annotate(**sums).order_by(column)]
        _label_groups(group_by, groups)
    return {"summary": summary, "trend": trend, "groups": groups}


def _label_groups(group_by: str, groups: list[dict]) -> None:
    """Readable names for the group keys (one query for teams / owners)."""
    from crm.models import Team, User

    keys = [g["key"] for g in groups if g["key"] not in (None, "")]
    if group_by == "team":
        names = dict(Team.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif group_by == "owner":
        names = {u.pk: str(u) for u in User.objects.filter(pk__in=keys)}
    elif group_by == "tier":
        from segmentation.models import Tier

        names = dict(Tier.choices)
    else:
        names = ticket_category_names()
    blank = {"tier": pgettext("survey group", "Not segmented yet"), "team": pgettext("survey group", "No team"),
             "owner": pgettext("survey group", "No owner"),
             "ticket_category": pgettext("survey group", "Not about a ticket")}[group_by]
    for g in groups:
        g["label"] = str(names.get(g["key"], g["key"])) if g["key"] not in (None, "") else blank


def ticket_category_names() -> dict:
    """Ticket category key → its name (the results' groups and filter)."""
    from tickets.models import Category

    return dict(Category.choices)


def reasons_for_user(*, user, start: date, end: date, tier="", team=None, owner=None,
                     ticket_category="") -> QuerySet[SurveyResponse]:
    """Free-text reasons and suggestions with the scores beside them, latest first (the caller pages)."""
    qs = (SurveyResponse.objects.for_user(user).filter(answered_at__gte=day_start(start),
                                        answered_at__lt=day_end(end))
          .exclude(reason="", suggestions="").select_related("customer", "customer__owner"))
    if tier:  # the tier when they answered, as the snapshots count it
        from django.db.models.functions import TruncDate
        from django.utils import timezone

        from segmentation.selectors import tier_on

        qs = qs.alias(answered_day=TruncDate("answered_at", tzinfo=timezone.get_current_timezone()))
        qs = qs.alias(tier_then=tier_on(OuterRef("answered_day")))
        qs = qs.filter(tier_then=tier)
    qs = filter_given(qs, customer__team_id=team, customer__owner_id=owner,
                      invitation__ticket_category=ticket_category)
    return qs.order_by("-answered_at", "-id")
