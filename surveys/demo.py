"""Demo survey data: a few hundred invitations and answers over the demo customers
in the last six months (realistic NPS spread, Chinese comments, some phone
surveys), the detractor follow-ups of the last two weeks, one open link to try
the public page, and the daily snapshots. Deterministic from ``seed``."""
from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from crm.demo import demo_customer_since, not_before_since
from crm.models import Customer
from surveys import selectors, services
from surveys.models import SurveyDailySnapshot, SurveyInvitation, SurveyResponse, Trigger

DAYS = 180
INVITATIONS = 400
ANSWER_RATE = 0.45

PROMOTER_REASONS = ["响应很快,问题当天就解决了", "客户经理很专业,沟通顺畅", "产品稳定,性价比高", "售后服务周到"]
PASSIVE_REASONS = ["整体还可以,偶尔响应慢", "功能够用,但价格偏高", "服务不错,希望更主动一些"]
DETRACTOR_REASONS = ["发票问题拖了一周才处理", "系统数据同步经常延迟", "打了几次电话都没人跟进", "交付比承诺晚了两周"]
SUGGESTIONS = ["希望增加批量导出功能", "希望每月有一次回访", "工单进度能否短信通知", "", "", ""]


def _nps(rng: random.Random) -> int:
    """~45 % promoters, ~30 % passives, ~25 % detractors."""
    roll = rng.random()
    if roll < 0.45:
        return rng.choice([9, 10])
    if roll < 0.75:
        return rng.choice([7, 8])
    return rng.choice([2, 3, 4, 5, 6])


def _scores(rng: random.Random, nps: int) -> dict:
    base = max(1, min(10, nps + rng.choice([-1, 0, 0, 1])))
    return {f: max(1, min(10, base + rng.choice([-2, -1, 0, 0, 1]))) for f in SurveyResponse.RATING_FIELDS}


def demo_generate(*, seed: int, now: datetime, bulk: bool = False) -> str:
    survey = selectors.default_survey()
    rng = random.Random(seed * 7919 + 5)
    customer_ids = list(Customer.objects.filter(source="demo").order_by("pk").values_list("pk", "owner_id"))
    if survey is None or not customer_ids:
        return "skipped (no default survey or no demo customers)"
    chosen = rng.sample(customer_ids, min(INVITATIONS, len(customer_ids)))
    since = demo_customer_since()  # no invitation or answer before the customer was one
    invitations, answers = [], []
    with transaction.atomic():
        for i, (customer_id, owner_id) in enumerate(chosen):
            sent = not_before_since(now - timedelta(days=rng.uniform(1, DAYS)), since[customer_id], now=now)
            trigger = rng.choice([Trigger.NEW_CUSTOMER, Trigger.TICKET_CLOSED, Trigger.QUARTER_END, Trigger.CAMPAIGN])
            inv = SurveyInvitation(customer_id=customer_id, survey=survey, trigger=trigger,
                                   trigger_key=f"demo:{i}", created_at=sent, sent_at=sent,
                                   expires_at=sent + timedelta(days=14),
                                   token_hash=services.token_hash(secrets.token_urlsafe(32)),
                                   ticket_category=rng.choice(["service", "technical", "billing"])
                                   if trigger == Trigger.TICKET_CLOSED else "")
            invitations.append(inv)
            if rng.random() < ANSWER_RATE:
                inv.answered_at = min(sent + timedelta(hours=rng.uniform(1, 72)), now)
                answers.append((inv, customer_id, owner_id))
        SurveyInvitation.objects.bulk_create(invitations)
        responses = []
        for inv, customer_id, owner_id in answers:
            nps = _nps(rng)
            reasons = PROMOTER_REASONS if nps >= 9 else PASSIVE_REASONS if nps >= 7 else DETRACTOR_REASONS
            responses.append(SurveyResponse(
                customer_id=customer_id, survey=survey, invitation=inv, answered_at=inv.answered_at,
                channel=SurveyResponse.Channel.EMAIL_LINK, nps=nps, ces=rng.randint(1, 7) if nps < 9 else rng.randint(1, 3),
                reason=rng.choice(reasons), suggestions=rng.choice(SUGGESTIONS), language="zh-hans",
                created_at=inv.answered_at, **_scores(rng, nps)))
        # Phone surveys (电话回访) typed in by the owners.
        for customer_id, owner_id in rng.sample(customer_ids, min(60, len(customer_ids))):
            nps = _nps(rng)
            at = not_before_since(now - timedelta(days=rng.uniform(1, DAYS)), since[customer_id], now=now)
            reasons = PROMOTER_REASONS if nps >= 9 else PASSIVE_REASONS if nps >= 7 else DETRACTOR_REASONS
            responses.append(SurveyResponse(
                customer_id=customer_id, survey=survey, answered_at=at, channel=SurveyResponse.Channel.PHONE,
                entered_by_id=owner_id, nps=nps, reason=rng.choice(reasons), created_at=at, **_scores(rng, nps)))
        SurveyResponse.objects.bulk_create(responses)
    # The closed loop for the recent ones (older detractors were "handled" before the demo starts).
    recent = SurveyResponse.objects.filter(customer__source="demo", answered_at__gte=now - timedelta(days=14))
    loops = sum(1 for r in recent.select_related("customer", "customer__owner")
                if services.response_close_loop(response=r, now=r.answered_at))
    # One open link to try the public page.
    customer = Customer.objects.filter(source="demo").order_by("pk").first()
    token = secrets.token_urlsafe(32)
    SurveyInvitation.objects.create(customer=customer, survey=survey, trigger=Trigger.CAMPAIGN,
                                    trigger_key="demo:try", created_at=now, sent_at=now,
                                    expires_at=now + timedelta(days=60), token_hash=services.token_hash(token))
    _snapshots_rebuild(now=now)
    return (f"{len(invitations) + 1} invitations, {len(responses)} answers ({len(answers)} by link, "
            f"{len(responses) - len(answers)} by phone), {loops} detractor follow-ups, snapshots for {DAYS + 1} days; "
            f"try the public page at /s/{token}/")


def demo_reset() -> None:
    """Snapshots do not cascade from customers; they are rebuilt from the answers."""
    SurveyDailySnapshot.objects.all().delete()


def _snapshots_rebuild(*, now) -> None:
    today = timezone.localdate(now)
    for d in range(DAYS + 1):
        services.snapshots_rebuild_day(day=today - timedelta(days=d), now=now)


def demo_finish(*, now) -> None:
    """The snapshots group answers by the customer's tier: rebuilt once the
    segmentation hook has computed the tiers (before it, every tier is blank)."""
    _snapshots_rebuild(now=now)
