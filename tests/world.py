"""A team's whole world for the cross-cutting tests: customers with every kind of
row that hangs off a customer (contacts, money, interactions, follow-ups, segments,
tickets with messages and breaches, survey invitations and answers), plus the team's
own survey template, campaign, review report with findings and actions, and a
job. Rows carry ``marker`` in a visible text so a leak shows in any body.

``team_world(..., n=20)`` adds n customers' worth of rows: the query-budget test
compares 2 and 20 of each.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from crm.models import Contact, Customer, FollowUp, Interaction, Product, Transaction, TransactionLine, User


@dataclass
class World:
    """The ids of one team's rows, by model (the first of each is the one the scope test uses)."""

    marker: str
    ids: dict[type, list[int]] = field(default_factory=dict)
    earlier_review: object = None
    delivery_uuid: str = ""

    def add(self, obj) -> None:
        self.ids.setdefault(type(obj), []).append(obj.pk)

    def first(self, model) -> int | None:
        rows = self.ids.get(model)
        return rows[0] if rows else None


def team_world(*, owner: User, lead: User, n: int = 1, marker: str, now: dt.datetime,
               world: World | None = None) -> World:
    from care.models import CareTask, CustomerLoss, PointsEntry
    from reviews import services as review_services
    from reviews.models import ReviewFinding
    from core.models import Job
    from integrations.models import EmailAttachment, InboundEmail
    from segmentation.models import CustomerSegment, SegmentHistory
    from surveys.models import Campaign, Survey, SurveyInvitation, SurveyResponse
    from tickets import services as ticket_services
    from tickets.models import SlaBreach

    world = world or World(marker=marker)
    team = owner.team
    start = len(world.ids.get(Customer, []))
    today = timezone.localdate(now)
    survey = Survey.objects.filter(code=f"survey-{marker}").first()
    if survey is None:
        survey = Survey.objects.create(code=f"survey-{marker}", name_zh=f"{marker} 调查", name_en=f"{marker} survey",
                                       team=team, created_at=now)
        world.add(survey)
        world.add(Campaign.objects.create(survey=survey, name=f"{marker} campaign", created_by=lead, created_at=now))
        from integrations.models import Mailbox, Webhook, WebhookDelivery

        world.add(Mailbox.objects.create(name=f"{marker} mailbox", host="imap.example.com", username=marker,
                                         created_at=now))
        hook = Webhook.objects.create(url="https://example.com/hook", events=[], secret="s", created_by=lead,
                                      created_at=now)
        world.add(hook)
        delivery = WebhookDelivery.objects.create(webhook=hook, event="ticket.created", body=marker, created_at=now)
        world.add(delivery)
        world.delivery_uuid = str(delivery.uuid)
        world.add(Job.objects.create(kind="segmentation.recompute", params={"as_of": str(today)}, created_by=owner,
                                     created_at=now))
    for i in range(start, start + n):
        c = Customer.objects.create(name=f"{marker} customer {i}", owner=owner, team=team, external_id=f"{marker}-{i}",
                                    created_at=now - dt.timedelta(days=400), tags=",vip,")
        world.add(c)
        world.add(Contact.objects.create(customer=c, name=f"{marker} contact {i}", phone="13800000000"))
        txn = Transaction.objects.create(customer=c, amount=Decimal("100"), occurred_on=today, notes=f"{marker} {i}")
        world.add(txn)
        # The catalogue is the company's (not the team's: not added to the world, no marker).
        modules = [Product.objects.get_or_create(code=f"WORLD-{code}", defaults={"name": f"Module {code}"})[0]
                   for code in "AB"]
        world.add(TransactionLine.objects.create(transaction=txn, product=modules[i % 2], amount=Decimal("100")))
        if i == start:
            from xsell.models import ProductAffinity

            world.add(ProductAffinity.objects.get_or_create(
                team=team, antecedent=modules[0], consequent=modules[1],
                defaults={"customers": 2, "with_antecedent": 1, "with_both": 1, "support": 0.5, "confidence": 1.0,
                          "lift": 2.0, "as_of": today})[0])
        world.add(Interaction.objects.create(customer=c, occurred_at=now, staff=owner, summary=f"{marker} call {i}",
                                             next_action=f"{marker} next", next_action_owner=lead,
                                             next_action_due=today))
        world.add(FollowUp.objects.create(customer=c, owner=owner, reason=f"{marker} follow-up {i}",
                                          due_at=now - dt.timedelta(days=3), created_at=now - dt.timedelta(days=5)))
        care_followup = FollowUp.objects.create(customer=c, owner=owner, source="care", reason=f"{marker} care {i}",
                                                due_at=now - dt.timedelta(days=1), created_at=now - dt.timedelta(days=2),
                                                origin=f"care:birthday:{c.pk}::{today}")
        world.add(care_followup)
        world.add(CareTask.objects.create(customer=c, occasion="birthday", occasion_date=today, followup=care_followup,
                                          greeting=f"{marker} greeting {i}", perk=f"{marker} perk", created_at=now))
        world.add(CustomerLoss.objects.create(customer=c, reason="price", note=f"{marker} loss {i}", actor=owner,
                                              lost_on=today - dt.timedelta(days=1), created_at=now, tier="churn_risk"))
        world.add(PointsEntry.objects.create(customer=c, kind="adjustment", points=10 + i, reason=f"{marker} points {i}",
                                             actor=lead, created_at=now))
        world.add(CustomerSegment.objects.create(
            customer=c, as_of=today, tier="churn_risk", rfm_segment="at_risk", value_tier="high",
            membership_level="gold", health_score=30, next_contact_due=today - dt.timedelta(days=5),
            days_overdue=5, queue_weight=5.0, computed_at=now))
        # The churn score (the model row is company-wide, not the team's: not added to the world).
        from segmentation.churn.models import ChurnModel, ChurnScore

        churn_model = ChurnModel.objects.order_by("-id").first() or ChurnModel.objects.create(
            as_of=today, horizon_days=90, trained_at=now, kind="logistic_regression", artefact=b"",
            artefact_digest="", metrics={"deciles": [{"decile": 1, "customers": 1, "churned": 1, "rate": 1.0,
                                                      "predicted": 0.9, "min_probability": 0.9}]})
        world.add(ChurnScore.objects.create(
            customer=c, model=churn_model, as_of=today, probability=0.9, backtest_decile=1, backtest_churned=True,
            factors=[{"feature": "purchase_recency_days", "value": 120, "contribution": 1.2}]))
        for days in (30, 0):
            world.add(SegmentHistory.objects.create(customer=c, as_of=today - dt.timedelta(days=days),
                                                    tier="churn_risk" if days == 0 else "new", value_tier="high",
                                                    health_score=30, rfm_segment="at_risk"))
        ticket = ticket_services.ticket_create(actor=owner, customer=c, subject=f"{marker} ticket {i}",
                                               category="technical", assignee=owner, now=now,
                                               created_at=None)
        world.add(ticket)
        world.add(ticket_services.ticket_reply(ticket=ticket, actor=owner, body=f"{marker} reply", now=now))
        world.add(SlaBreach.objects.create(ticket=ticket, clock="first_response", due_at=now, recorded_at=now))
        email = InboundEmail.objects.create(source="api", dedupe_key=f"{marker}-{i}", subject=f"{marker} mail {i}",
                                            status="triage", raw="inbound/raw/none.eml", received_at=now,
                                            ticket=ticket)
        world.add(email)
        world.add(EmailAttachment.objects.create(email=email, ticket=ticket, filename=f"{marker}-{i}.txt",
                                                 content_type="text/plain", size=1))
        inv = SurveyInvitation.objects.create(customer=c, survey=survey, trigger="campaign",
                                              trigger_key=f"{marker}:{i}", created_at=now)
        world.add(inv)
        world.add(SurveyResponse.objects.create(customer=c, survey=survey, invitation=inv, answered_at=now, nps=3,
                                                overall=4, reason=f"{marker} reason {i}", created_at=now))
    from feedback.models import FeedbackTheme, ThemeEntry, ThemeMember

    if not ThemeEntry.objects.filter(team=team, name_zh=f"{marker} 主题").exists():
        world.add(ThemeEntry.objects.create(team=team, name_zh=f"{marker} 主题", name_en=f"{marker} theme",
                                            keywords_zh=marker, updated_at=now))
    for i in range(start, start + n):
        customer = Customer.objects.get(pk=world.ids[Customer][i])
        theme = FeedbackTheme.objects.create(
            period_start=today.replace(day=1), period_end=today, team=team, key=f"auto:{marker}-{i}",
            source="grouping", name_zh=f"{marker} theme {i}", name_en=f"{marker} theme {i}", customers=1, texts=1,
            is_shared=False, computed_at=now)
        world.add(theme)
        world.add(ThemeMember.objects.create(theme=theme, customer=customer, kind="survey_answer",
                                             object_id=world.ids[SurveyResponse][i], at=now,
                                             excerpt=f"{marker} reason {i}"))
    if world.earlier_review is None:
        world.earlier_review = review_services.review_create(
            user=lead, title=f"{marker} earlier review", period_start=today.replace(day=1) - dt.timedelta(days=62),
            period_end=today.replace(day=1) - dt.timedelta(days=32), scope_kind="team", team=team, now=now)
        world.add(world.earlier_review)
    for i in range(start, start + n):
        review = review_services.review_create(user=lead, title=f"{marker} review {i}", scope_kind="team", team=team,
                                               period_start=today.replace(day=1), period_end=today, now=now)
        world.add(review)
        world.add(ReviewFinding.objects.create(review=review, kind="problem", title=f"{marker} finding {i}"))
        world.add(review_services.review_action_create(
            actor=lead, review=review, title=f"{marker} action {i}", owner=owner, deadline=today, now=now))
        # Earlier actions on a metric the later reports do not carry: each one's movement is computed.
        world.add(review_services.review_action_create(
            actor=lead, review=world.earlier_review, title=f"{marker} earlier action {i}", owner=owner,
            deadline=today, metric="winback_rate", now=now))
    return world
