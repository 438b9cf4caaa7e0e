"""Writes of the tickets app (re-exported from the modules of this package)."""
from tickets.services.clocks import breaches_insert_once, sla_breach_scan, sla_settle_many  # noqa: F401
from tickets.services.reports import (trend_alerts_detect, weekly_summary_compute,  # noqa: F401
                                      weekly_summary_mail, weekly_ticket_report)
from tickets.services.workflow import (TicketConflict, department_supervisor_set, repeat_of,  # noqa: F401
                                       routing_rule_set, sla_policy_save, ticket_assign, ticket_close,
                                       ticket_commit, ticket_create, ticket_delete, ticket_reopen, ticket_reply,
                                       ticket_resolve, ticket_resume, ticket_update, ticket_wait)
from tickets.services.settings import sla_policies_save, ticket_routing_save  # noqa: F401
