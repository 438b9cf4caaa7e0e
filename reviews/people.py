"""Reads of the people and departments page (issue 12 item 1): catalogue metrics
per account manager, per support agent and per department, for a period with the
previous period beside it. Every figure comes from ``metric_grouped`` (one grouped
query per part, whatever the number of people) and links to its records through
the drill-down's ``group`` filter.

Who sees which rows: admins everyone (or a chosen team), team leads their team,
an account manager only their own row; agents and departments are for team leads
(their team's customers' tickets) and admins. Support staff and users without a
team have no people page (403)."""
from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from core import access
from core.roles import Role
from crm.models import User
from reviews.drilldown import default_part, part_label, records_url
from reviews.metrics import CATALOGUE, Period, Scope, metric_grouped
from reviews.scoping import metric_scope_for_user

# The figures of each table, in their columns' order.
OWNER_METRICS = ("retention_rate", "followup_on_time", "followups_overdue", "activation_30d", "winback_rate", "nps",
                 "repurchase_rate")
SERVICE_METRICS = ("first_response_minutes", "sla_compliance", "resolution_hours", "ticket_satisfaction",
                   "repeat_complaint_rate")
TABLES = {"owner": OWNER_METRICS, "agent": SERVICE_METRICS, "department": SERVICE_METRICS}
TABLE_TITLES = {"owner": _("Account managers"), "agent": _("Support agents"), "department": _("Departments")}


@dataclass(frozen=True)
class PeopleCut:
    scope: Scope
    only_member: int | None  # an account manager's own row


def people_cut_for_user(*, user, group: str, team: str | None = None) -> PeopleCut:
    """The customers a table counts and whose rows it shows (PermissionDenied for
    who has no such table; Http404 for a team outside the caller's)."""
    if not access.can_read_reviews(user):
        raise PermissionDenied("No people page for this user.")
    if group != "owner" and not access.can_run_reports(user):
        raise PermissionDenied("Agents and departments are for team leads and admins.")
    scope = metric_scope_for_user(user=user, team=team)
    if group == "owner" and not access.is_lead_or_admin(user):
        return PeopleCut(scope=scope, only_member=user.pk)
    return PeopleCut(scope=scope, only_member=None)


def _members(*, group: str, cut: PeopleCut, ids: set[int]) -> list[tuple[int, str]]:
    """(id, name) of each row: the team's (or everyone's) account managers and leads
    even without a figure, the agents and departments that have one."""
    if group == "department":
        from tickets.models import Department

        return [(d.pk, str(d)) for d in Department.objects.filter(pk__in=ids).order_by("name")]
    if cut.only_member is not None:
        users = User.objects.filter(pk=cut.only_member)
    elif group == "owner":
        users = User.objects.filter(is_active=True).exclude(role=Role.SUPPORT)
        users = users.filter(team_id=cut.scope.team_id) if cut.scope.team_id is not None else users
        users = users | User.objects.filter(pk__in=ids)
    else:
        users = User.objects.filter(pk__in=ids)
    return [(u.pk, str(u)) for u in users.distinct().order_by("username")]


def _figure(*, key: str, member: int, group: str, now, before, period: Period, scope: Scope) -> dict:
    """One figure: its value opens its records (a rate's numerator, NPS's detractors,
    an average's records); each measured part opens its own (a rate's numerator and
    denominator), and the previous period's value the previous period's records."""
    metric = CATALOGUE[key]
    value, previous = now.of(member), before.of(member)
    current, was = value.value, previous.value
    member_key = f"{group}:{member}"

    def link(part: str, when: Period, *, api: bool = False) -> str | None:
        return records_url(key=key, period=when, part=part, scope=scope, group=member_key, api=api)

    has_records = now.has_records
    return {
        "metric": key, "value": current, "previous": was, "parts": dict(value.parts),
        "unit": metric.unit,
        "declined": metric.better(current, was) is False and current != was, "worst": False,
        "below_target": metric.better(current, metric.default_target) is False,
        # No records to open while the app holding the metric's data has none (e.g. no segment history).
        "url": link(default_part(key), period) if has_records else None,
        "api_url": link(default_part(key), period, api=True) if has_records else None,
        "part_links": [{"key": part, "label": part_label(metric=metric, part=part), "value": n,
                        "url": link(part, period), "api_url": link(part, period, api=True)}
                       for part, n in value.parts.items()] if has_records else [],
        "previous_url": link(default_part(key), period.previous()) if before.has_records else None,
        "previous_api_url": link(default_part(key), period.previous(), api=True) if before.has_records else None,
    }


def _mark_worst(rows: list[dict], keys) -> None:
    """``worst``: the figure furthest from good in its column (by the metric's
    direction) when the column's figures differ — what a lead looks at first."""
    for i, key in enumerate(keys):
        figures = [r["figures"][i] for r in rows if r["figures"][i]["value"] is not None]
        for f in figures:
            f["worst"] = False
        if len({f["value"] for f in figures}) < 2:
            continue
        metric = CATALOGUE[key]
        worst = min(figures, key=lambda f: f["value"]) if metric.direction == "higher" else max(
            figures, key=lambda f: f["value"])
        worst["worst"] = True


def people_table_for_user(*, user, group: str, period: Period, team: str | None = None) -> dict:
    """One table: its metrics and a row per member with each figure (value, previous
    period's value, parts, records links, declined / below the sources' target)."""
    cut = people_cut_for_user(user=user, group=group, team=team)
    keys = TABLES[group]
    previous = period.previous()
    now = {k: metric_grouped(key=k, period=period, scope=cut.scope, group=group) for k in keys}
    before = {k: metric_grouped(key=k, period=previous, scope=cut.scope, group=group) for k in keys}
    ids = set().union(*(g.members() for g in [*now.values(), *before.values()]))
    if cut.only_member is not None:
        ids &= {cut.only_member}
    rows = [{"id": member, "name": name,
             "figures": [_figure(key=k, member=member, group=group, now=now[k], before=before[k], period=period,
                                 scope=cut.scope) for k in keys]}
            for member, name in _members(group=group, cut=cut, ids=ids)]
    _mark_worst(rows, keys)
    return {"group": group, "title": str(TABLE_TITLES[group]), "metrics": list(keys), "rows": rows,
            "period": period.as_dict(), "previous_period": previous.as_dict(), "scope": cut.scope.as_dict()}


def people_tables_for_user(*, user, period: Period, team: str | None = None) -> list[dict]:
    """The page's tables: account managers, then (team leads and admins) support
    agents and departments, each with its metrics' names and units."""
    from reviews.metrics import UNIT_LABELS

    groups = ["owner", "agent", "department"] if access.can_run_reports(user) else ["owner"]
    tables = [people_table_for_user(user=user, group=g, period=period, team=team) for g in groups]
    for table in tables:
        table["columns"] = [{"key": k, "name": str(CATALOGUE[k].name), "unit": str(UNIT_LABELS.get(
            CATALOGUE[k].unit, CATALOGUE[k].unit)), "direction": CATALOGUE[k].direction,
            "target": CATALOGUE[k].default_target} for k in table["metrics"]]
    return tables
