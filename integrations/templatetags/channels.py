"""``{% ticket_email_attachments ticket %}``: the files that came with a ticket's e-mails
(the ticket page includes it; the caller already checked the ticket is in scope)."""
from django import template

from integrations.selectors import ticket_attachments

register = template.Library()


@register.inclusion_tag("integrations/_ticket_attachments.html")
def ticket_email_attachments(ticket):
    return {"attachments": ticket_attachments(ticket=ticket), "ticket": ticket}
