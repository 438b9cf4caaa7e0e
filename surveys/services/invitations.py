"""Invitations: created once per (customer, trigger key), sent once by e-mail with
a single-use token of which only the hash is stored."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core import access
from core.broker import task_send
from core.outbox import email_queue
from core.site import absolute_url
from crm.models import Customer
from surveys import triggers
from surveys.models import Campaign, Survey, SurveyInvitation, Trigger


class TokenProblem(Exception):
    """The link cannot be used: ``reason`` is "invalid", "used" or "expired"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitations_create(*, specs: list[dict], survey: Survey, now: datetime, campaign: Campaign | None = None) -> int:
    """Insert one invitation per spec; a (customer, trigger key) that exists already
    is skipped by the unique constraint, so a re-run or a concurrent run creates
    nothing twice. Returns how many specs were offered (after in-run de-duplication)."""
    seen: set[int] = set()
    rows = []
    for spec in specs:
        if spec["customer_id"] in seen:  # one survey per customer per run
            continue
        seen.add(spec["customer_id"])
        rows.append(SurveyInvitation(survey=survey, created_at=now, campaign=campaign, **spec))
    SurveyInvitation.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def invitations_create_due(*, now: datetime) -> int:
    """Create the invitations every automatic trigger has due at ``now`` (default
    template). A cache lock keeps two overlapping beats from racing on the
    fatigue check (the unique key already stops the same trigger twice)."""
    from surveys.selectors import default_survey

    survey = default_survey()
    if survey is None:
        return 0
    if not cache.add("surveys:create-due", "1", timeout=600):
        return 0
    try:
        specs: list[dict] = []
        for finder in triggers.FINDERS:
            specs.extend(finder(now=now))
        with transaction.atomic():
            return invitations_create(specs=specs, survey=survey, now=now)
    finally:
        cache.delete("surveys:create-due")


def _recipient(customer: Customer) -> str:
    if customer.email:
        return customer.email
    contact = customer.contacts.exclude(email="").order_by("-is_primary", "id").first()
    return contact.email if contact else ""


def answer_url(token: str) -> str:
    return absolute_url(reverse("survey-answer", args=[token]))


def invitation_send(*, invitation_id: int, now: datetime) -> bool:
    """Send one invitation. Idempotent: the row is claimed with a conditional UPDATE
    (unsent → sent, with the token hash) so a redelivered task never sends twice;
    the e-mail goes through the outbox. A customer without an e-mail address gets
    ``send_error`` and no token."""
    invitation = SurveyInvitation.objects.select_related("customer", "survey").filter(pk=invitation_id).first()
    if invitation is None or invitation.sent_at or invitation.send_error:
        return False
    to = _recipient(invitation.customer)
    if not to:
        SurveyInvitation.objects.filter(pk=invitation_id, sent_at__isnull=True).update(
            send_error="no e-mail address")
        return False
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        claimed = SurveyInvitation.objects.filter(pk=invitation_id, sent_at__isnull=True, send_error="").update(
            sent_at=now, token_hash=token_hash(token),
            expires_at=now + timedelta(days=settings.SURVEY_TOKEN_TTL_DAYS))
        if not claimed:
            return False
        # The outbox row commits with the claim: a mail-server outage delays the
        # e-mail (retried by core.outbox), it never loses the invitation.
        email_queue(to=[to], subject=_invitation_subject(invitation.survey),
                    body=_invitation_body(invitation, url=answer_url(token)), now=now)
    return True


def _invitation_subject(survey: Survey) -> str:
    return f"{survey.name_zh} / {survey.name_en}".strip(" /")


def _invitation_body(invitation: SurveyInvitation, *, url: str) -> str:
    """Chinese then English: the customer's language is not known."""
    survey = invitation.survey
    days = settings.SURVEY_TOKEN_TTL_DAYS
    parts = [f"{invitation.customer.name}:"]
    for language, intro in (("zh-hans", survey.intro_zh), ("en", survey.intro_en)):
        with translation.override(language):
            parts.append("\n".join(line for line in (
                intro, _("Please answer here:"), url,
                _("The link works once and expires in %(days)s days.") % {"days": days}) if line))
    return "\n\n".join(parts)


def invitations_send_pending(*, now: datetime, limit: int = 500) -> list[int]:
    """Ids of invitations created but not yet sent (the dispatcher queues one task each)."""
    return list(SurveyInvitation.objects.filter(sent_at__isnull=True, send_error="",
                                                created_at__gt=now - timedelta(days=triggers.CATCH_UP_DAYS))
                .order_by("created_at", "pk").values_list("pk", flat=True)[:limit])


CAMPAIGN_FILTERS = ("tier", "owner", "region", "tag", "customers")
INVITATION_SEND_TASK = "surveys.tasks.survey_invitation_send"


@transaction.atomic
def campaign_launch(*, actor, survey: Survey, name: str, filters: dict[str, Any], now: datetime) -> Campaign:
    """Invite the caller's customers matching ``filters`` (tier, owner, region, tag, or
    a list of customer ids as ``customers``: a metric drill-down's),
    minus opted-out and fatigued ones; sending follows on commit."""

    if not access.can_build_surveys(actor):
        raise ValidationError({"non_field_errors": [_("Only team leads and admins launch campaigns.")]})
    if not name.strip():
        raise ValidationError({"name": [_("This field is required.")]})
    filters = {k: v for k, v in filters.items() if k in CAMPAIGN_FILTERS and v not in (None, "")}
    campaign = Campaign.objects.create(survey=survey, name=name.strip(), filters=filters, created_by=actor,
                                       created_at=now)
    scope = triggers.campaign_customers(customers=Customer.objects.for_user(actor), filters=filters)
    matching = scope.count()
    key = f"{Trigger.CAMPAIGN.value}:{campaign.pk}"
    ids = list(triggers.eligible(scope, now=now).values_list("pk", flat=True))
    invitations_create(specs=[{"customer_id": pk, "trigger": Trigger.CAMPAIGN, "trigger_key": key,
                               "ticket_id": None, "ticket_category": ""} for pk in ids],
                       survey=survey, now=now, campaign=campaign)
    campaign.invited = len(ids)
    campaign.skipped = matching - len(ids)
    campaign.save(update_fields=["invited", "skipped"])
    new_ids = list(campaign.invitations.values_list("pk", flat=True))
    # Sent by name and broker-safe: an unsent invitation is picked up again by the
    # hourly dispatcher (invitations_send_pending), so a broker outage loses none.
    transaction.on_commit(lambda: [task_send(INVITATION_SEND_TASK, args=[pk]) for pk in new_ids])
    return campaign
