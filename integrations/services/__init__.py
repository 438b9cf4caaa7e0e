"""Writes of the integrations app (re-exported from the modules of this package)."""
from integrations.services.inbound import (inbound_receive, ticket_recipient, triage_assign,  # noqa: F401
                                           triage_create_customer, triage_dismiss)
from integrations.services.mailboxes import mailbox_delete, mailbox_poll, mailbox_save, mailboxes_poll  # noqa: F401
from integrations.services.senders import sender_index_rebuild  # noqa: F401
from integrations.services.webhooks import (webhook_create, webhook_deliveries_due_send,  # noqa: F401
                                            webhook_delete, webhook_delivery_redeliver, webhook_delivery_send,
                                            webhook_update)
