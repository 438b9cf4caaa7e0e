"""Review reports: create, set targets and analysis, refresh the computed actuals,
findings, and the monthly drafts Celery writes."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import override

from core import access
from segmentation.models import Tier
from core.events import event_emit
from crm.models import Team
from reviews.metrics import CATALOGUE, Period, Scope, metric_compute, month_period, quarter_label, quarter_period
from reviews.models import Review, ReviewFinding, ReviewMetric

# Seed 000's core-metric table, then the rows of the sources' targets (seeds 001,
# 002, 004): each starts with its metric's ``default_target``.
DEFAULT_METRICS = ["nps", "churn_rate", "repurchase_rate", "clv", "first_response_minutes", "contact_frequency",
                   "avg_satisfaction", "sla_compliance", "collection_rate", "activation_30d", "winback_rate",
                   "high_value_satisfaction", "first_followup_rate", "complaint_cycle_hours"]


def default_targets() -> list[dict]:
    """The rows a new report starts with: DEFAULT_METRICS, each with the sources' target."""
    return [{"metric": k, "target": CATALOGUE[k].default_target} for k in DEFAULT_METRICS]
TIERS = tuple(Tier.values)


# The header's data sources a metric's data comes from (its catalogue ``source``).
SOURCE_DATA = {"crm": [Review.DataSource.CRM, Review.DataSource.SALES], "surveys": [Review.DataSource.SURVEYS],
               "tickets": [Review.DataSource.TICKETS], "segmentation": [Review.DataSource.CHURN]}


def default_data_sources(metric_keys) -> list[str]:
    """The data sources of a report's metrics, in the header's order."""
    used = {src for k in metric_keys if k in CATALOGUE for src in SOURCE_DATA.get(CATALOGUE[k].source, [])}
    return [v for v in Review.DataSource.values if v in used]


def period_for_kind(*, kind: str, start: dt.date | None, end: dt.date | None) -> Period | None:
    """A monthly or quarterly report covers the calendar month or quarter of its start;
    a custom one the dates given (None while one is missing)."""
    if start is None:
        return None
    if kind == Review.PeriodKind.MONTH:
        return month_period(start)
    if kind == Review.PeriodKind.QUARTER:
        return quarter_period(start)
    return Period(start, end) if end is not None and end >= start else None


def _header_errors(*, user, participants, data_sources) -> dict:
    """Participants are people the author may name (their team's and the support
    staff, core.access.ticket_assignees_for); data sources come from the list."""
    errors = {}
    if participants and any(access.choice_errors(p=(access.ticket_assignees_for(user), p)) for p in participants):
        errors["participants"] = [access.NOT_A_VALID_CHOICE]
    if any(d not in Review.DataSource.values for d in data_sources or []):
        errors["data_sources"] = [_("Choose data sources from the list.")]
    return errors


def review_scope(review: Review) -> Scope:
    return Scope(team_id=review.team_id, tier=review.tier or None)


def review_period(review: Review) -> Period:
    return Period(review.period_start, review.period_end)


def _clean_targets(targets) -> list[dict]:
    errors, clean, seen = [], [], set()
    for i, row in enumerate(targets or []):
        key = (row or {}).get("metric")
        if key not in CATALOGUE:
            errors.append(_("Row %(n)s: unknown metric “%(key)s”.") % {"n": i + 1, "key": key})
            continue
        if key in seen:
            errors.append(_("Row %(n)s: metric “%(key)s” appears twice.") % {"n": i + 1, "key": key})
            continue
        seen.add(key)
        # A row that names no target at all starts with the sources' one; an empty one stays empty.
        target = row["target"] if "target" in row else CATALOGUE[key].default_target
        if target in ("", None):
            target = None
        else:
            try:
                target = float(target)
            except (TypeError, ValueError):
                errors.append(_("Row %(n)s: the target must be a number.") % {"n": i + 1})
                continue
        clean.append({"metric": key, "target": target, "analysis": str(row.get("analysis") or "")})
    if errors:
        raise ValidationError({"targets": errors})
    return clean


@transaction.atomic
def review_create(*, user, title: str, period_start: dt.date, period_end: dt.date | None = None, scope_kind: str,
                  team: Team | None = None, tier: str = "", targets: list[dict] | None = None, summary: str = "",
                  findings: dict[str, list[dict]] | None = None, period_kind: str = Review.PeriodKind.CUSTOM,
                  participants: list | None = None, data_sources: list[str] | None = None,
                  now: dt.datetime) -> Review:
    """A team lead reports on their own team (team or tier scope); an admin on any
    team or on all customers. Actuals are computed here, never typed. ``findings``
    maps a kind (strength, problem) to its findings (title, detail, cause). A
    monthly or quarterly ``period_kind`` covers the month or quarter of
    ``period_start``. The header (seed 000): ``summary`` is the purpose,
    ``participants`` users, ``data_sources`` keys of Review.DataSource (default:
    the sources of its metrics)."""
    errors: dict[str, list] = {}
    if not access.can_write_reviews(user):
        raise ValidationError({"non_field_errors": [_("Only team leads and admins write review reports.")]})
    if not (title or "").strip():
        errors["title"] = [_("This field is required.")]
    if period_kind not in Review.PeriodKind.values:
        errors["period_kind"] = [_("Choose month, quarter or a custom period.")]
    elif period_start and period_end and period_end < period_start and period_kind == Review.PeriodKind.CUSTOM:
        errors["period_end"] = [_("The period must end on or after its start.")]
    elif period_start and period_kind == Review.PeriodKind.CUSTOM and period_end is None:
        errors["period_end"] = [_("This field is required.")]
    errors.update(_header_errors(user=user, participants=participants, data_sources=data_sources))
    if scope_kind not in Review.ScopeKind.values:
        errors["scope"] = [_("Choose team, tier or all.")]
    if scope_kind == Review.ScopeKind.TIER and tier not in TIERS:
        errors["tier"] = [_("Choose a tier.")]
    if not access.is_admin(user):
        if scope_kind == Review.ScopeKind.ALL:
            errors["scope"] = [_("A team lead reports on their own team.")]
        if team is not None and team.pk != user.team_id:
            errors["team"] = [_("A team lead reports on their own team.")]
        team = user.team
    elif scope_kind == Review.ScopeKind.TEAM and team is None:
        errors["team"] = [_("Choose a team.")]
    if scope_kind == Review.ScopeKind.ALL:
        team = None
    try:
        clean = _clean_targets(targets if targets is not None else default_targets())
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    period = period_for_kind(kind=period_kind, start=period_start, end=period_end)
    if data_sources is None:
        data_sources = default_data_sources([row["metric"] for row in clean])
    review = Review.objects.create(
        title=title.strip(), period_start=period.start, period_end=period.end, period_kind=period_kind,
        scope_kind=scope_kind, team=team, tier=tier if scope_kind == Review.ScopeKind.TIER else "", summary=summary,
        data_sources=list(data_sources), created_by=user, created_at=now)
    review.participants.set(participants or [])
    ReviewMetric.objects.bulk_create([ReviewMetric(review=review, position=i, **row) for i, row in enumerate(clean)])
    review_actuals_refresh(review=review, now=now)
    _findings_replace(review=review, findings=findings)
    return review


@transaction.atomic
def review_update(*, review: Review, title: str | None = None, summary: str | None = None,
                  status: str | None = None, targets: list[dict] | None = None,
                  findings: dict[str, list[dict]] | None = None, participants: list | None = None,
                  data_sources: list[str] | None = None, user=None, now: dt.datetime | None = None) -> Review:
    """Change what is given, all or nothing: title, summary (the purpose), status,
    the header's ``participants`` (checked against ``user``'s choices; the ones the
    report has stay acceptable) and ``data_sources``; ``targets`` replace the metric
    rows (``now`` required with them); ``findings`` replace the findings of each kind
    they name."""
    fields = []
    current = set(review.participants.values_list("pk", flat=True)) if participants is not None else set()
    new = [p for p in participants or [] if getattr(p, "pk", p) not in current]
    if errors := _header_errors(user=user, participants=new, data_sources=data_sources):
        raise ValidationError(errors)
    if data_sources is not None:
        review.data_sources, fields = list(data_sources), ["data_sources"]
    if title is not None:
        if not title.strip():
            raise ValidationError({"title": [_("This field is required.")]})
        review.title, fields = title.strip(), [*fields, "title"]
    if summary is not None:
        review.summary, fields = summary, [*fields, "summary"]
    finalized = False
    if status is not None:
        if status not in Review.Status.values:
            raise ValidationError({"status": [_("Unknown status.")]})
        finalized = status == Review.Status.FINAL and review.status != Review.Status.FINAL
        review.status, fields = status, [*fields, "status"]
    if fields:
        review.save(update_fields=fields)
    if participants is not None:
        review.participants.set(participants)
    if targets is not None:
        review_metrics_set(review=review, rows=targets, now=now, replace=True)
    _findings_replace(review=review, findings=findings)
    if finalized:
        event_emit("review.finalized", review)
    return review


def _findings_replace(*, review: Review, findings: dict[str, list[dict]] | None) -> None:
    for kind, items in (findings or {}).items():
        review.findings.filter(kind=kind).delete()
        for item in items:
            review_finding_add(review=review, kind=kind, title=item.get("title", ""), detail=item.get("detail", ""),
                               cause=item.get("cause", ""))


@transaction.atomic
def review_metrics_set(*, review: Review, rows: list[dict], now: dt.datetime, replace: bool = False) -> Review:
    """Add or update metric rows (target, analysis); with ``replace`` the rows not
    listed are removed. Computes the actuals of new rows."""
    existing = {m.metric: m for m in review.metric_rows.all()}
    # A listed row that names no target keeps the one it has (a new row starts with the sources' one).
    rows = [{**row, "target": existing[row["metric"]].target}
            if isinstance(row, dict) and "target" not in row and row.get("metric") in existing else row
            for row in rows or []]
    clean = _clean_targets(rows)
    position = max((m.position for m in existing.values()), default=-1) + 1
    added = False
    for row in clean:
        current = existing.get(row["metric"])
        if current is None:
            ReviewMetric.objects.create(review=review, position=position, **row)
            position, added = position + 1, True
        else:
            current.target, current.analysis = row["target"], row["analysis"]
            current.save(update_fields=["target", "analysis"])
    if replace:
        keep = {r["metric"] for r in clean}
        review.metric_rows.exclude(metric__in=keep).delete()
    if added:
        review_actuals_refresh(review=review, now=now)
    return review


def review_actuals_refresh(*, review: Review, now: dt.datetime) -> Review:
    """Recompute each row's actual (with numerator and denominator) and the
    previous period's value from the live data. Idempotent."""
    scope, period = review_scope(review), review_period(review)
    previous = period.previous()
    rows = list(review.metric_rows.all())
    for row in rows:
        if row.metric not in CATALOGUE:
            continue
        actual = metric_compute(key=row.metric, period=period, scope=scope)
        row.actual, row.numerator, row.denominator = actual.value, actual.numerator, actual.denominator
        row.parts = actual.parts
        row.previous = metric_compute(key=row.metric, period=previous, scope=scope).value
    ReviewMetric.objects.bulk_update(rows, ["actual", "numerator", "denominator", "parts", "previous"])
    review.actuals_computed_at = now
    review.save(update_fields=["actuals_computed_at"])
    return review


def review_finding_add(*, review: Review, kind: str, title: str, detail: str = "", cause: str = "") -> ReviewFinding:
    errors = {}
    if kind not in ReviewFinding.Kind.values:
        errors["kind"] = [_("Choose strength or problem.")]
    if not (title or "").strip():
        errors["title"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    position = review.findings.filter(kind=kind).count()
    return ReviewFinding.objects.create(review=review, kind=kind, title=title.strip(), detail=detail, cause=cause,
                                        position=position)


def review_finding_delete(*, review: Review, finding_id: int) -> None:
    review.findings.filter(pk=finding_id).delete()


def review_monthly_drafts_create(*, now: dt.datetime) -> list[int]:
    """On the first day of a month: one draft per team for the month before, with
    the actuals computed and the targets of the team's last report carried over.
    Exactly once per team and month (unique constraint on (team, auto_month));
    safe to run twice or in two workers at once."""
    today = timezone.localtime(now).date()
    auto_month = today.replace(day=1)
    return _drafts_create(kind=Review.PeriodKind.MONTH, key={"auto_month": auto_month},
                          period=month_period(auto_month - dt.timedelta(days=1)), now=now)


def review_quarterly_drafts_create(*, now: dt.datetime) -> list[int]:
    """At a quarter's start (run with the monthly drafts): one draft per team for the
    quarter before, as the monthly one. Exactly once per team and quarter (unique
    (team, auto_quarter)); a run later in the quarter drafts what is still missing."""
    auto_quarter = quarter_period(timezone.localtime(now).date()).start
    return _drafts_create(kind=Review.PeriodKind.QUARTER, key={"auto_quarter": auto_quarter},
                          period=quarter_period(auto_quarter - dt.timedelta(days=1)), now=now)


DRAFT_TITLES = {Review.PeriodKind.MONTH: _lazy("%(team)s · monthly review %(period)s"),
                Review.PeriodKind.QUARTER: _lazy("%(team)s · quarterly review %(period)s")}


def _drafts_create(*, kind: str, key: dict, period: Period, now: dt.datetime) -> list[int]:
    """One draft per team for ``period``, keyed by ``key`` (its unique draft column):
    targets of the team's last report of the same kind (else of any kind, else the
    sources'), participants the team's active members, data sources its metrics'."""
    from crm.models import User

    created = []
    label = period.start.strftime("%Y-%m") if kind == Review.PeriodKind.MONTH else quarter_label(period)
    for team in Team.objects.all():
        if Review.objects.filter(team=team, **key).exists():
            continue
        reports = Review.objects.filter(team=team).order_by("-period_end", "-id")
        last = reports.filter(period_kind=kind).first() or reports.first()
        if last is not None:
            targets = [{"metric": m.metric, "target": m.target} for m in last.metric_rows.all()]
        else:
            targets = default_targets()
        targets = [t for t in targets if t["metric"] in CATALOGUE]
        with override(settings.LANGUAGE_CODE):
            title = str(DRAFT_TITLES[kind]) % {"team": team.name, "period": label}
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    title=title, period_start=period.start, period_end=period.end, period_kind=kind,
                    scope_kind=Review.ScopeKind.TEAM, team=team, created_at=now,
                    data_sources=default_data_sources([t["metric"] for t in targets]), **key)
                review.participants.set(User.objects.filter(team=team, is_active=True))
                ReviewMetric.objects.bulk_create([
                    ReviewMetric(review=review, position=i, metric=t["metric"], target=t["target"])
                    for i, t in enumerate(targets)])
                review_actuals_refresh(review=review, now=now)
        except IntegrityError:
            continue  # another worker drafted it first
        created.append(review.pk)
    return created
