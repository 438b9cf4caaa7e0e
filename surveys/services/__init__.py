"""Writes of the surveys app (re-exported from the modules of this package)."""
from surveys.services.answers import (  # noqa: F401
    answers_clean,
    optout_by_token,
    optout_create,
    optout_delete,
    optout_undo_by_token,
    response_close_loop,
    response_enter,
    response_submit,
)
from surveys.services.builder import question_errors, survey_create, survey_default_ensure, survey_update  # noqa: F401
from surveys.services.invitations import (  # noqa: F401
    INVITATION_SEND_TASK,
    TokenProblem,
    campaign_launch,
    invitation_send,
    invitations_create,
    invitations_create_due,
    invitations_send_pending,
    token_hash,
)
from surveys.services.snapshots import snapshots_rebuild_day, snapshots_rebuild_recent  # noqa: F401
