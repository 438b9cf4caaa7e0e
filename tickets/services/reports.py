"""Weekly ticket summary and complaint trend alerts (Celery, weekly)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core import access
from core.clock import day_start
from core.events import event_emit
from core.services import notification_create
from crm.models import User
from tickets import analytics
from tickets.models import Category, Department, Ticket, TrendAlert, WeeklySummary

ROW_FIELDS = analytics.COLUMNS


def _frame(qs) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(qs.values(*ROW_FIELDS)), columns=ROW_FIELDS)


def weekly_summary_compute(*, week_start: dt.date, now: dt.datetime) -> WeeklySummary:
    """Compute and store one week's summary (idempotent: recomputing overwrites)."""
    start, end = day_start(week_start), day_start(week_start + dt.timedelta(days=7))
    rows = _frame(Ticket.objects.filter(Q(created_at__gte=start, created_at__lt=end)
                                        | Q(resolved_at__gte=start, resolved_at__lt=end)))
    figures = analytics.weekly_summary(rows, week_start=week_start, tz=settings.TIME_ZONE,
                                       categories=list(Category.values),
                                       departments={d.pk: str(d) for d in Department.objects.order_by("name")})
    figures.pop("week_start")
    summary, _created = WeeklySummary.objects.update_or_create(week_start=week_start,
                                                               defaults={**figures, "computed_at": now})
    return summary


def trend_alerts_detect(*, week_start: dt.date, now: dt.datetime) -> list[TrendAlert]:
    """Raise a cross-department alert for each complaint category above its own
    8-week baseline in the three weeks ending with ``week_start``'s week. Once per
    (category, week): a rerun creates and notifies nothing new."""
    weeks_back = analytics.BASELINE_WEEKS + analytics.RUN_WEEKS - 1
    weeks = [week_start - dt.timedelta(weeks=n) for n in range(weeks_back, -1, -1)]
    start, end = day_start(weeks[0]), day_start(week_start + dt.timedelta(days=7))
    rows = _frame(Ticket.objects.filter(is_complaint=True, created_at__gte=start, created_at__lt=end))
    first = Ticket.objects.order_by("created_at").values_list("created_at", flat=True).first()
    history_start = timezone.localtime(first).date() if first else None
    counts = analytics.weekly_counts(rows, weeks=weeks, tz=settings.TIME_ZONE, categories=list(Category.values),
                                     history_start=history_start)
    created = []
    for alert in analytics.trend_alerts(counts):
        with transaction.atomic():
            obj, is_new = TrendAlert.objects.get_or_create(
                category=alert["category"], week_start=alert["week_start"],
                defaults={"evidence": alert["evidence"], "created_at": now})
            if is_new:
                _notify_trend(obj, now=now)
                # reviews opens the tracked cross-department action (same transaction).
                event_emit("ticket.trend_alert", obj, now=now)
                created.append(obj)
    return created


def _notify_trend(alert: TrendAlert, *, now: dt.datetime) -> None:
    """Cross-department: every department supervisor, team lead and admin."""
    supervisors = Department.objects.filter(supervisor__isnull=False).values_list("supervisor_id", flat=True)
    recipients = User.objects.filter(Q(pk__in=supervisors) | Q(role__in=[access.Role.TEAM_LEAD, access.Role.ADMIN]),
                                     is_active=True).distinct()
    params = {"category": alert.category, "evidence": alert.evidence}
    for user in recipients:
        notification_create(recipient=user, kind="ticket_trend", params=params, url=reverse("tickets:weekly"),
                            now=now)


def weekly_summary_mail(*, summary: WeeklySummary, now: dt.datetime) -> int:
    """E-mail the week's summary to each supervisor (active team leads and admins
    with an address) through the outbox, in their language, with the customer
    feedback they may read. Once per week and recipient (WeeklySummaryMailing is
    unique): a rerun, or two workers at once, queue nothing more. How many were queued."""
    from django.db import IntegrityError
    from django.template.loader import render_to_string
    from django.utils.translation import gettext as _
    from django.utils.translation import override

    from core.notifications import recipient_language
    from core.outbox import email_queue
    from core.site import absolute_url
    from tickets.models import WeeklySummaryMailing
    from tickets.selectors import weekly_feedback_for_user, weekly_summary_supervisors

    queued = 0
    for user in weekly_summary_supervisors():
        try:
            with transaction.atomic():
                WeeklySummaryMailing.objects.create(week_start=summary.week_start, recipient=user, created_at=now)
                with override(recipient_language(user)):
                    context = {"s": summary, "departments": list(summary.by_department.values()),
                               "feedback": weekly_feedback_for_user(user=user, week_start=summary.week_start),
                               "url": absolute_url(reverse("tickets:weekly")),
                               "export_url": absolute_url(reverse("tickets:weekly-export") +
                                                          f"?week={summary.week_start.isoformat()}")}
                    subject = _("Weekly ticket summary, week of %(week)s") % {"week": summary.week_start.isoformat()}
                    body = render_to_string("tickets/email/weekly_summary.txt", context)
                email_queue(to=[user.email], subject=subject, body=body, now=now)
        except IntegrityError:
            continue  # mailed already (this week, this recipient)
        queued += 1
    return queued


def weekly_ticket_report(*, now: dt.datetime) -> dict:
    """The last complete week's summary, trend alerts and the summary's e-mail to the
    supervisors (run each Monday by beat; safe to rerun)."""
    this_week = analytics.week_start_of(timezone.localtime(now).date())
    last_week = this_week - dt.timedelta(weeks=1)
    summary = weekly_summary_compute(week_start=last_week, now=now)
    alerts = trend_alerts_detect(week_start=last_week, now=now)
    mailed = weekly_summary_mail(summary=summary, now=now)
    return {"week_start": last_week.isoformat(), "tickets": summary.total, "alerts": [a.category for a in alerts],
            "mailed": mailed}
