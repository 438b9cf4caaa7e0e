"""Giving up a customer (or closing it as lost) with why it left (seed 000
"流失原因、流失客户特征"). Nothing here reads the clock: ``now`` comes in."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care.models import CustomerLoss, LossReason
from care.selectors import customer_loss_current
from core import access

NOTE_MAX = 2000


def _profile(customer, *, now: dt.datetime) -> dict:
    """What the customer was when lost: tier and value tier, days since its first
    deal (or since it was created), the category of its latest complaint."""
    from segmentation.models import CustomerSegment
    from tickets.models import Ticket

    lost_on = timezone.localdate(now)
    segment = CustomerSegment.objects.filter(customer=customer).values("tier", "value_tier").first() or {}
    since = customer.first_deal_date or timezone.localdate(customer.created_at)
    complaint = (Ticket.objects.filter(customer=customer, is_complaint=True, created_at__lte=now)
                 .order_by("-created_at", "-id").values_list("category", flat=True).first())
    return {"tier": segment.get("tier", ""), "value_tier": segment.get("value_tier", ""),
            "tenure_days": max((lost_on - since).days, 0), "last_complaint_category": complaint or ""}


@transaction.atomic
def customer_give_up(*, actor, customer, reason: str, note: str, now: dt.datetime) -> CustomerLoss:
    """Record that ``customer`` is given up (lost) for ``reason`` (a LossReason;
    "other" needs the note), with what the customer was then; its open follow-ups
    are closed (nobody is to call a customer given up). The caller fetched the
    customer through the actor's scope. Refused while the customer is still lost
    (no purchase since the last loss)."""
    if not access.can_edit_customers(actor):
        raise PermissionDenied("Support cannot give up customers.")
    from crm.models import Customer, FollowUp

    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why the customer left.")]
    elif reason not in LossReason.values:
        errors["reason"] = [_("Select a valid choice. %(value)s is not one of the available choices.")
                            % {"value": reason}]
    elif reason == LossReason.OTHER and not note:
        errors["note"] = [_("Describe the reason when it is “Other”.")]
    if len(note) > NOTE_MAX:
        errors["note"] = [_("At most %(n)s characters.") % {"n": NOTE_MAX}]
    if not errors and customer_loss_current(customer=customer) is not None:
        errors["__all__"] = [_("This customer is already marked as lost.")]
    if errors:
        raise ValidationError(errors)
    lost_on = timezone.localdate(now)
    loss = CustomerLoss.objects.create(customer=customer, reason=reason, note=note, actor=actor, lost_on=lost_on,
                                       created_at=now, **_profile(customer, now=now))
    FollowUp.objects.filter(customer=customer, done_at__isnull=True).update(done_at=now)
    return loss
