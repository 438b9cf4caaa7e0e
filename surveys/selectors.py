"""Reads of the surveys app, scoped to the user.

CONTRACT used by segmentation (keep the name and the row shape):
``latest_satisfaction_by_customer(as_of=...)`` returns one dict per customer
with a survey answer carrying an overall rating on or before ``as_of``:
``{"customer_id", "satisfaction_100", "answered_at", "last_response_at"}``
where ``satisfaction_100`` = overall (1-10) × 10 of the latest such answer,
``answered_at`` its time and ``last_response_at`` the customer's latest answer
of any kind on or before ``as_of``.

CONTRACT used by the metrics catalogue (reviews): ``nps_counts`` and
``survey_rows_for_metrics`` below.
"""
from __future__ import annotations

from datetime import date, datetime

from django.db import connection
from django.db.models import Count, Max, Q, QuerySet
from django.shortcuts import get_object_or_404

from core import access
from core.clock import day_end, day_start
from core.formulas import DETRACTOR_MAX, PROMOTER_MIN, nps_from_counts, satisfaction_100_from_overall
from core.selectors import filter_given
from crm.models import Customer, FollowUp
from surveys.models import Survey, SurveyInvitation, SurveyOptOut, SurveyResponse


# ---------------------------------------------------------------- templates

def survey_list_for_user(*, user) -> QuerySet[Survey]:
    return Survey.objects.for_user(user).select_related("team").annotate(question_count=Count("questions"))


def survey_active_list_for_user(*, user) -> QuerySet[Survey]:
    """The templates the user may send or enter answers for (campaigns, phone survey)."""
    return Survey.objects.for_user(user).filter(is_active=True)


def survey_get_for_user(*, user, pk) -> Survey:
    return get_object_or_404(Survey.objects.for_user(user).prefetch_related("questions"), pk=pk)


def survey_editable_for_user(*, user, pk) -> Survey:
    """Team leads edit their team's templates, admins any (404 otherwise)."""
    led = access.led_team_scope_q(user)
    qs = Survey.objects.all() if led is None else Survey.objects.filter(led)
    return get_object_or_404(qs.prefetch_related("questions"), pk=pk)


def default_survey() -> Survey | None:
    return Survey.objects.filter(is_default=True, is_active=True).first()


# ---------------------------------------------------------------- invitations / responses

def invitation_list_for_user(*, user) -> QuerySet[SurveyInvitation]:
    return SurveyInvitation.objects.for_user(user).select_related("customer", "survey", "response")


def response_list_for_user(*, user) -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.for_user(user).select_related("customer", "survey", "entered_by", "invitation")


def response_get_for_user(*, user, pk) -> SurveyResponse:
    return get_object_or_404(response_list_for_user(user=user), pk=pk)


def invitation_by_token_hash(*, token_hash: str) -> SurveyInvitation | None:
    return (SurveyInvitation.objects.select_related("survey", "customer")
            .prefetch_related("survey__questions").filter(token_hash=token_hash).first())


def is_opted_out(*, customer: Customer) -> bool:
    return SurveyOptOut.objects.filter(customer=customer).exists()


def followups_for_responses(*, response_ids: list[int]) -> dict[int, FollowUp]:
    """The detractor / low-satisfaction follow-up each response opened, by response id."""
    origins = {f"surveys.response:{pk}": pk for pk in response_ids}
    rows = FollowUp.objects.filter(origin__in=list(origins)).select_related("owner", "done_by", "done_by__staff")
    return {origins[f.origin]: f for f in rows}


def customer_survey_entries(*, customer: Customer, limit: int) -> list[dict]:
    """Timeline entries: each answer of the customer with the follow-up it opened."""
    responses = list(customer.survey_responses.select_related("survey", "entered_by")[:limit])
    followups = followups_for_responses(response_ids=[r.pk for r in responses])
    return [{"at": r.answered_at, "kind": "survey_response", "obj": r, "followup": followups.get(r.pk),
             "template": "surveys/_timeline_response.html"} for r in responses]


# ---------------------------------------------------------------- cross-app contracts

def latest_satisfaction_by_customer(*, as_of: date, lo: int | None = None, hi: int | None = None) -> list[dict]:
    """One SQL statement: the latest answer with an overall rating per customer on
    or before ``as_of`` (DISTINCT ON over the (customer, answered_at) index on
    PostgreSQL, a window function elsewhere), plus the latest answer of any kind;
    of the customers with id in [lo, hi) when given (one range of a fanned-out
    segment recompute)."""
    end = day_end(as_of)
    answers = SurveyResponse.objects.all()
    if lo is not None:
        answers = answers.filter(customer_id__gte=lo, customer_id__lt=hi)
    last_any = {r["customer_id"]: r["last"] for r in answers.filter(answered_at__lt=end)
                .values("customer_id").annotate(last=Max("answered_at")).order_by()}
    base = answers.filter(answered_at__lt=end, overall__isnull=False)
    if connection.vendor == "postgresql":
        rows = (base.order_by("customer_id", "-answered_at", "-id").distinct("customer_id")
                .values_list("customer_id", "overall", "answered_at"))
    else:
        from django.db.models import F, Window
        from django.db.models.functions import RowNumber

        rows = (base.annotate(rn=Window(RowNumber(), partition_by=[F("customer_id")],
                                        order_by=[F("answered_at").desc(), F("id").desc()]))
                .filter(rn=1).values_list("customer_id", "overall", "answered_at"))
    return [{"customer_id": cid, "satisfaction_100": satisfaction_100_from_overall(overall),
             "answered_at": at, "last_response_at": last_any.get(cid, at)} for cid, overall, at in rows]


def responses_in_period(*, start: date, end: date, customers) -> QuerySet[SurveyResponse]:
    """CONTRACT used by the metrics catalogue: the answers of a period (see below)."""
    return _period_responses(start=start, end=end, customers=customers)


def _period_responses(*, start: date, end: date, customers) -> QuerySet[SurveyResponse]:
    """Answers from the start of ``start`` to the end of ``end`` (local days), for
    ``customers`` (a Customer queryset, e.g. ``Customer.objects.for_user(user)``)."""
    qs = SurveyResponse.objects.filter(answered_at__gte=day_start(start),
                                       answered_at__lt=day_end(end))
    if customers is not None:
        qs = qs.filter(customer__in=customers)
    return qs


# CONTRACT used by the metrics catalogue: which answers are promoters, passives, detractors.
NPS_BANDS = {
    "promoters": Q(nps__gte=PROMOTER_MIN),
    "passives": Q(nps__gt=DETRACTOR_MAX, nps__lt=PROMOTER_MIN),
    "detractors": Q(nps__lte=DETRACTOR_MAX),
}
NPS_AGGREGATES = {band: Count("id", filter=q) for band, q in NPS_BANDS.items()}


def nps_counts(*, start: date, end: date, customers) -> dict:
    """{"promoters", "passives", "detractors", "responses", "nps"} over answers with an
    NPS score in the period (one aggregate query). ``nps`` is None without answers."""
    row = _period_responses(start=start, end=end, customers=customers).filter(
        nps__isnull=False).aggregate(**NPS_AGGREGATES)
    counts = {k: row[k] or 0 for k in ("promoters", "passives", "detractors")}
    return {**counts, "responses": sum(counts.values()), "nps": nps_from_counts(**counts)}


def nps_counts_for_user(*, user, start: date, end: date, tier: str = "", team=None, owner=None) -> dict:
    """``nps_counts`` over the user's customers, narrowed by their current tier, team
    and owner (each optional: empty means any)."""
    customers = filter_given(Customer.objects.for_user(user), segment__tier=tier, team_id=team, owner_id=owner)
    return nps_counts(start=start, end=end, customers=customers)


def survey_rows_for_metrics(*, start: date, end: date, customers) -> list[dict]:
    """Raw answers of the period for the metrics catalogue: one dict per answer
    ``{"id", "customer_id", "answered_at", "nps", "overall", "satisfaction_100", "channel"}``."""
    rows = _period_responses(start=start, end=end, customers=customers).order_by("answered_at", "id").values(
        "id", "customer_id", "answered_at", "nps", "overall", "channel")
    return [{**r, "satisfaction_100": satisfaction_100_from_overall(r["overall"])} for r in rows]


def nps_by_month_and_tier(*, start: date, end: date, customers=None) -> list[dict]:
    """NPS per calendar month (local time) and current customer tier: one grouped
    aggregate in SQL; the formula applied per group from core.clock import day_end, day_start
from core.formulas."""
    from django.db.models.functions import TruncMonth

    rows = (_period_responses(start=start, end=end, customers=customers).filter(nps__isnull=False)
            .annotate(month=TruncMonth("answered_at")).values("month", "segment__tier")
            .annotate(**NPS_AGGREGATES).order_by("month", "segment__tier"))
    out = []
    for r in rows:
        counts = {k: r[k] for k in ("promoters", "passives", "detractors")}
        month = r["month"].date() if isinstance(r["month"], datetime) else r["month"]
        out.append({"month": month, "tier": r["segment__tier"] or "", **counts,
                    "responses": sum(counts.values()), "nps": nps_from_counts(**counts)})
    out.sort(key=lambda r: (r["month"], r["tier"]))  # no tier ("") first, on every database
    return out


def campaign_list_for_user(*, user) -> QuerySet:
    """Campaigns launched by the user's team (admins: all)."""
    from surveys.models import Campaign

    qs = Campaign.objects.select_related("survey", "created_by")
    if access.is_admin(user):
        return qs
    if user.team_id is None:
        return qs.filter(created_by=user)
    return qs.filter(created_by__team_id=user.team_id)
