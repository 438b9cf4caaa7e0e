"""Review reports: create, set targets and analysis, refresh the computed actuals,
findings, and the monthly drafts Celery writes."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core import access
from segmentation.models import Tier
from core.events import event_emit
from crm.models import Team
from reviews.metrics import CATALOGUE, Period, Scope, metric_compute, month_period
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
def review_create(*, user, title: str, period_start: dt.date, period_end: dt.date, scope_kind: str,
                  team: Team | None = None, tier: str = "", targets: list[dict] | None = None, summary: str = "",
                  findings: dict[str, list[dict]] | None = None, now: dt.datetime) -> Review:
    """A team lead reports on their own team (team or tier scope); an admin on any
    team or on all customers. Actuals are computed here, never typed. ``findings``
    maps a kind (strength, problem) to its findings (title, detail, cause)."""
    errors: dict[str, list] = {}
    if not access.can_write_reviews(user):
        raise ValidationError({"non_field_errors": [_("Only team leads and admins write review reports.")]})
    if not (title or "").strip():
        errors["title"] = [_("This field is required.")]
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = [_("The period must end on or after its start.")]
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
    review = Review.objects.create(
        title=title.strip(), period_start=period_start, period_end=period_end, scope_kind=scope_kind, team=team,
        tier=tier if scope_kind == Review.ScopeKind.TIER else "", summary=summary, created_by=user, created_at=now)
    ReviewMetric.objects.bulk_create([ReviewMetric(review=review, position=i, **row) for i, row in enumerate(clean)])
    review_actuals_refresh(review=review, now=now)
    _findings_replace(review=review, findings=findings)
    return review


@transaction.atomic
def review_update(*, review: Review, title: str | None = None, summary: str | None = None,
                  status: str | None = None, targets: list[dict] | None = None,
                  findings: dict[str, list[dict]] | None = None, now: dt.datetime | None = None) -> Review:
    """Change what is given, all or nothing: title, summary, status; ``targets``
    replace the metric rows (``now`` required with them); ``findings`` replace the
    findings of each kind they name."""
    fields = []
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
    period = month_period(auto_month - dt.timedelta(days=1))
    created = []
    for team in Team.objects.all():
        if Review.objects.filter(team=team, auto_month=auto_month).exists():
            continue
        last = Review.objects.filter(team=team).order_by("-period_end", "-id").first()
        if last is not None:
            targets = [{"metric": m.metric, "target": m.target} for m in last.metric_rows.all()]
        else:
            targets = default_targets()
        with override(settings.LANGUAGE_CODE):
            title = _("%(team)s · monthly review %(month)s") % {"team": team.name, "month": period.start.strftime("%Y-%m")}
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    title=title, period_start=period.start, period_end=period.end, scope_kind=Review.ScopeKind.TEAM,
                    team=team, created_at=now, auto_month=auto_month)
                ReviewMetric.objects.bulk_create([
                    ReviewMetric(review=review, position=i, metric=t["metric"], target=t["target"])
                    for i, t in enumerate(targets) if t["metric"] in CATALOGUE])
                review_actuals_refresh(review=review, now=now)
        except IntegrityError:
            continue  # another worker drafted it first
        created.append(review.pk)
    return created
