"""Writes of the reviews app (re-exported from its modules)."""
from reviews.services.actions import (  # noqa: F401
    REMINDER_DAYS,
    review_action_create,
    review_action_reminders_send,
    review_action_status_set,
)
from reviews.services.reports import (  # noqa: F401
    DEFAULT_METRICS,
    review_actuals_refresh,
    review_create,
    review_finding_add,
    review_finding_delete,
    review_metrics_set,
    review_monthly_drafts_create,
    review_quarterly_drafts_create,
    review_scope,
    review_update,
)
from reviews.services.snapshots import metric_snapshots_rebuild  # noqa: F401
