"""Writes of the tickets app (re-exported from the modules of this package)."""
from tickets.services.clocks import breaches_insert_once, sla_breach_scan, sla_settle_many  # noqa: F401
from tickets.services.reports import (trend_alerts_detect, weekly_summary_compute,  # noqa: F401
                                      weekly_ticket_report)
from tickets.services.workflow import (TicketConflict, repeat_of, ticket_assign, ticket_close,  # noqa: F401
                                       ticket_commit, ticket_create, ticket_delete, ticket_reopen, ticket_reply,
                                       ticket_resolve, ticket_resume, ticket_update, ticket_wait)
