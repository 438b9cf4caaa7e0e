"""Browser pages of the metric drill-down: the records behind one part of a
metric (every KPI, chart point and review row links here), their XLSX export and
the bulk actions. Parse, call a selector or service, render."""
from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from core import access
from core.safe_export import spreadsheet_row
from reviews import drilldown
from reviews.forms import DrillAssignForm, DrillCampaignForm, DrillFollowUpForm, MonthForm, RecordsQueryForm
from reviews.metrics import Period, month_period
from reviews.scoping import metric_scope_for_user
from reviews.services import drilldown as drill_services

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000


def _drill(request, key: str, data) -> drilldown.Drill:
    form = RecordsQueryForm(data)
    if not form.is_valid():
        raise Http404
    d = form.cleaned_data
    today = timezone.localdate()
    month = MonthForm({"month": data.get("month", "")}, today=today)
    if data.get("month") and month.is_valid():
        # A month of the history, as the dashboard shows it (the current one to date).
        start = month.cleaned_data["month"]
        end = min(month_period(start).end, today)
    else:
        start = d.get("start") or month_period(today).start
        end = d.get("end") or max(today, start)
    scope = metric_scope_for_user(user=request.user, team=d.get("team"), owner=d.get("owner"), tier=d.get("tier"))
    return drilldown.drill_get(key=key, part=d.get("part") or drilldown.default_part(key), period=Period(start, end),
                               scope=scope, group=d.get("group") or "")


def _query(drill: drilldown.Drill, **extra) -> str:
    params = {"start": drill.period.start.isoformat(), "end": drill.period.end.isoformat(), "part": drill.part_key}
    for name, value in (("team", drill.scope.team_id), ("owner", drill.scope.owner_id), ("tier", drill.scope.tier)):
        if value not in (None, ""):
            params[name] = value
    if drill.group:
        params["group"] = drill.group
    params.update(extra)
    return urlencode(params)


def _assignees(user):
    return access.ticket_assignees_for(user)


def _surveys(user):
    from surveys.selectors import survey_list_for_user

    return survey_list_for_user(user=user).filter(is_active=True)


def _actions(request, drill: drilldown.Drill, **forms) -> dict:
    """The bulk-action forms this caller may use on these records."""
    user = request.user
    out = {}
    if access.can_edit_customers(user):
        out["followup_form"] = forms.get("followup_form") or DrillFollowUpForm(
            initial={"due_on": timezone.localdate() + dt.timedelta(days=2)}, prefix="fu")
    if drill.kind == "ticket" and access.can_bulk_assign_tickets(user):
        out["assign_form"] = forms.get("assign_form") or DrillAssignForm(assignees=_assignees(user), prefix="as")
    if drill.kind != "transaction" and access.can_build_surveys(user):
        out["campaign_form"] = forms.get("campaign_form") or DrillCampaignForm(surveys=_surveys(user), prefix="ca")
    return out


def _render(request, drill: drilldown.Drill, *, status: int = 200, **forms):
    records = drilldown.drill_records_for_user(user=request.user, drill=drill)
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [drilldown.record_row(obj, drill=drill) for obj in page]
    for row in rows:
        row["url"] = drilldown.detail_url(row)
    tabs = [{"key": p, "label": drilldown.part_label(metric=drill.metric, part=p),
             "url": "?" + _query(drill, part=p), "active": p == drill.part_key} for p in drill.parts]
    month_form = MonthForm(initial={"month": drill.period.start.strftime("%Y-%m")}, today=timezone.localdate())
    return render(request, "reviews/metric_records.html", {
        "month_form": month_form,
        "month_params": [(k, v) for k, v in (("part", drill.part_key), ("team", drill.scope.team_id),
                                             ("owner", drill.scope.owner_id), ("tier", drill.scope.tier))
                         if v not in (None, "")],
        "drill": drill, "metric": drill.metric, "page": page, "rows": rows, "tabs": tabs,
        "group_label": drilldown.group_label(drill.group),
        "part_label": drilldown.part_label(metric=drill.metric, part=drill.part_key),
        "is_sum": drill.part.sum_of is not None, "query": _query(drill), **_actions(request, drill, **forms),
    }, status=status)


@require_GET
@login_required
def metric_records(request, key: str):
    drill = _drill(request, key, request.GET)
    if request.GET.get("format") == "xlsx":
        return _xlsx(request, drill)
    return _render(request, drill)


def _xlsx(request, drill: drilldown.Drill) -> HttpResponse:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(drill.metric.key[:31])
    columns = ["kind", "id", "customer_id", "customer", "owner", "date", "detail"]
    if drill.part.sum_of is not None:
        columns.append("value")
    ws.append([str(drill.metric.name), drilldown.part_label(metric=drill.metric, part=drill.part_key),
               drill.period.start.isoformat(), drill.period.end.isoformat()])
    headers = [pgettext("drilldown", "Kind"), pgettext("drilldown", "ID"), pgettext("drilldown", "Customer ID"),
               pgettext("drilldown", "Customer"), pgettext("drilldown", "Owner"), pgettext("drilldown", "Date"),
               pgettext("drilldown", "Detail")]
    ws.append([*headers, *([pgettext("drilldown", "Value")] if drill.part.sum_of is not None else [])])
    records = drilldown.drill_records_for_user(user=request.user, drill=drill)[:EXPORT_LIMIT]
    for obj in records.iterator(chunk_size=2000):
        row = drilldown.record_row(obj, drill=drill)
        ws.append(spreadsheet_row(row.get(c, "") for c in columns))
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(buf.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (f'attachment; filename="{drill.metric.key}-{drill.part_key}-'
                                       f'{drill.period.start:%Y%m%d}-{drill.period.end:%Y%m%d}.xlsx"')
    return response


@require_POST
@login_required
def metric_records_act(request, key: str):
    """One bulk action on the records of the query string's part."""
    drill = _drill(request, key, request.GET)
    action, now = request.POST.get("action"), timezone.now()
    try:
        if action == "followup":
            form = DrillFollowUpForm(request.POST, prefix="fu")
            if not form.is_valid():
                return _render(request, drill, status=400, followup_form=form)
            created = drill_services.drill_followups_create(actor=request.user, drill=drill, now=now,
                                                            **form.cleaned_data)
            messages.success(request, _("%(count)s follow-ups opened for their owners.") % {"count": len(created)})
        elif action == "assign":
            form = DrillAssignForm(request.POST, assignees=_assignees(request.user), prefix="as")
            if not form.is_valid():
                return _render(request, drill, status=400, assign_form=form)
            moved = drill_services.drill_tickets_assign(actor=request.user, drill=drill, now=now,
                                                        assignee=form.cleaned_data["assignee"])
            messages.success(request, _("%(count)s open tickets assigned.") % {"count": moved})
        elif action == "campaign":
            form = DrillCampaignForm(request.POST, surveys=_surveys(request.user), prefix="ca")
            if not form.is_valid():
                return _render(request, drill, status=400, campaign_form=form)
            campaign = drill_services.drill_campaign_launch(actor=request.user, drill=drill, now=now,
                                                            **form.cleaned_data)
            messages.success(request, _("Survey campaign launched: %(invited)s invited, %(skipped)s skipped.")
                             % {"invited": campaign.invited, "skipped": campaign.skipped})
        else:
            raise Http404
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for errs in exc.message_dict.values():
            for e in errs:
                messages.error(request, e)
    return redirect(request.path.removesuffix("act/") + "?" + _query(drill))
