"""The Celery app. Every periodic schedule of the project is declared here, once."""
import os

from celery import Celery
from celery.schedules import crontab  # noqa: F401  (used by the schedule entries)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One place for every periodic schedule (STYLE.md rule 4). Apps add their
# entries here, never in their own modules.
app.conf.beat_schedule: dict[str, dict] = {}
# core: every minute, re-send jobs the broker never got and fail or retry jobs whose
# worker died (core.sweeper); send the outbox's due e-mails (core.outbox). Expiring
# messages: a backlog of sweeps while workers were down collapses into one.
app.conf.beat_schedule["core-jobs-sweep"] = {"task": "core.tasks.jobs_sweep", "schedule": crontab(),
                                             "options": {"expires": 55}}
app.conf.beat_schedule["core-outbox-sweep"] = {"task": "core.tasks.outbox_sweep", "schedule": crontab(),
                                               "options": {"expires": 55}}
# surveys: find due invitations hourly (each created once, then sent); rebuild daily snapshots at night.
app.conf.beat_schedule["surveys-dispatch"] = {"task": "surveys.tasks.survey_invitations_dispatch",
                                              "schedule": crontab(minute=5)}
app.conf.beat_schedule["surveys-snapshots"] = {"task": "surveys.tasks.survey_snapshots_rebuild",
                                               "schedule": crontab(hour=1, minute=20)}
# segmentation: recompute every customer's tier, RFM, health and cadence nightly.
app.conf.beat_schedule["segmentation-recompute-nightly"] = {"task": "segmentation.recompute_nightly",
                                                            "schedule": crontab(hour=2, minute=30)}
# segmentation: retrain the churn model and rescore every customer nightly (after the recompute).
app.conf.beat_schedule["segmentation-churn-train-nightly"] = {"task": "segmentation.churn_train_nightly",
                                                              "schedule": crontab(hour=3, minute=15)}

# care: birthday and holiday care tasks (after the recompute: perks follow the membership level).
app.conf.beat_schedule["care-tasks-nightly"] = {"task": "care.tasks_nightly", "schedule": crontab(hour=5, minute=30)}
# xsell: what each team's customers bought together, nightly (suggestions read it the next morning).
app.conf.beat_schedule["xsell-affinities-nightly"] = {"task": "xsell.affinities_mine_nightly",
                                                      "schedule": crontab(hour=4, minute=40)}
# segmentation: each manager's and lead's digest of overdue follow-ups, once a morning.
app.conf.beat_schedule["segmentation-followup-digests"] = {"task": "segmentation.followup_digests",
                                                           "schedule": crontab(hour=8, minute=0)}
# reviews: metric and dashboard snapshots nightly (after the segment recompute); the
# monthly review drafts on the 1st (once per team and month; at a quarter's start the quarterly
# ones too, once per team and quarter); action reminders daily.
app.conf.beat_schedule["reviews-metric-snapshots"] = {"task": "reviews.metric_snapshots_rebuild",
                                                      "schedule": crontab(hour=4, minute=10)}
app.conf.beat_schedule["reviews-monthly-drafts"] = {"task": "reviews.monthly_drafts_create",
                                                    "schedule": crontab(day_of_month=1, hour=6, minute=0)}
app.conf.beat_schedule["reviews-action-reminders"] = {"task": "reviews.action_reminders_send",
                                                      "schedule": crontab(hour=8, minute=30)}
# feedback: this month's feedback themes to date (after the reviews' snapshots).
app.conf.beat_schedule["feedback-themes-nightly"] = {"task": "feedback.themes_nightly",
                                                    "schedule": crontab(hour=4, minute=40)}
# tickets: the SLA breach scan every minute (records each breach once, escalates);
# the weekly summary and complaint trend alerts for the last week each Monday.
app.conf.beat_schedule["tickets-sla-breach-scan"] = {"task": "tickets.sla_breach_scan",
                                                     "schedule": crontab(), "options": {"expires": 55}}
app.conf.beat_schedule["tickets-weekly-report"] = {"task": "tickets.weekly_ticket_report",
                                                   "schedule": crontab(day_of_week=1, hour=3, minute=0)}
# integrations: poll every mailbox each minute; retry due webhook deliveries each minute;
# rebuild the sender index nightly (picks up customers written around the services).
app.conf.beat_schedule["integrations-mailboxes-poll"] = {"task": "integrations.mailboxes_poll",
                                                         "schedule": crontab(), "options": {"expires": 55}}
app.conf.beat_schedule["integrations-webhooks-retry"] = {"task": "integrations.webhook_deliveries_due_send",
                                                         "schedule": crontab(), "options": {"expires": 55}}
app.conf.beat_schedule["integrations-sender-index"] = {"task": "integrations.sender_index_rebuild",
                                                       "schedule": crontab(hour=1, minute=40)}
# crm: delete import uploads and stages abandoned for 24 hours (their job never ran or never ended).
app.conf.beat_schedule["crm-import-files-sweep"] = {"task": "crm.import_files_sweep", "schedule": crontab(minute=40)}
# crm: rebuild the phone search index nightly (picks up customers written around the services).
app.conf.beat_schedule["crm-phone-index"] = {"task": "crm.phone_index_rebuild", "schedule": crontab(hour=1, minute=50)}
