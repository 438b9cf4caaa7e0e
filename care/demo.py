"""Demo hook (crm's generate_demo_data, after segmentation): the holiday calendar
for this and next year, preferences and a core need on some of each demo account
manager's customers, a few birthdays (a customer's and a key contact's) in the
next days, then today's care tasks, so the morning queue shows them; a few
churn-risk customers given up with their reasons over the last weeks (the
review's churn row), a few customers who opted out of text messages; the reward
catalogue, some referrals (with their bonus) and some redemptions."""
from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from care import services

TOPICS = ["行业趋势报告", "新模块上线", "成本优化方案", "供应链效率", "培训与上手"]
NEEDS = ["供应链效率优化", "产品功能快速上手", "降低采购成本", "提升数据安全", "扩大线上渠道"]
SETTLED = ["发票抬头已确认，勿再询问", "续约价格已谈妥（2026 年度）", "数据导出问题已解决"]


def demo_generate(*, seed: int, now: dt.datetime) -> str:
    from crm.models import Contact, Customer

    rng = random.Random(seed + 11)
    today = timezone.localdate(now)
    for year in (today.year, today.year + 1):
        services.holiday_defaults_ensure(year=year)
    birthdays = preferences = 0
    owners = (Customer.objects.filter(source="demo", owner__isnull=False).order_by()
              .values_list("owner_id", flat=True).distinct())
    for owner_id in owners:
        mine = list(Customer.objects.filter(source="demo", owner_id=owner_id).order_by("id")[:40])
        for customer in mine[:12]:
            start = rng.choice([9, 10, 14])
            customer.contact_window_start = dt.time(start, 0)
            customer.contact_window_end = dt.time(start + rng.choice([2, 3]), 0)
            customer.preferred_topics = rng.choice(TOPICS)
            customer.core_need = rng.choice(NEEDS)
            customer.settled_notes = rng.choice(SETTLED)
            customer.save(update_fields=["contact_window_start", "contact_window_end", "preferred_topics",
                                         "core_need", "settled_notes"])
            preferences += 1
        for offset, customer in zip((1, 2), mine[12:14]):
            day = today + dt.timedelta(days=offset)
            customer.birthday = dt.date(2000 - rng.randint(0, 30) * 4, day.month, day.day)  # leap years: 29 Feb fits
            customer.save(update_fields=["birthday"])
            birthdays += 1
        if len(mine) > 14:
            contact = Contact.objects.filter(customer=mine[14]).order_by("-is_primary", "id").first()
            if contact is not None:
                day = today + dt.timedelta(days=3)
                Contact.objects.filter(pk=contact.pk).update(is_primary=True,
                                                             birthday=dt.date(1988, day.month, day.day)
                                                             if not (day.month == 2 and day.day == 29)
                                                             else dt.date(1988, 2, 29))
                birthdays += 1
    opened = services.care_tasks_generate(as_of=today, now=now)
    lost = _demo_losses(rng=rng, now=now)
    opted_out = Customer.objects.filter(pk__in=list(Customer.objects.filter(source="demo").order_by("id")
                                                    .values_list("pk", flat=True)[5::50])).update(sms_opt_out=True)
    points = demo_points(rng=rng, now=now)
    return (f"care: {preferences} customers with preferences, {birthdays} birthdays in the next days, "
            f"{opened} care tasks opened for {today}, {lost} churn-risk customers given up, "
            f"{opted_out} opted out of SMS; {points}")



LOSS_NOTES = {"price": "续约报价高于预算，转向低价方案", "competitor": "被本地竞品以更低价格争取",
              "service": "多次投诉响应慢，失去信任", "product_fit": "功能无法满足新业务流程",
              "business_closed": "门店已关闭", "no_budget": "今年预算冻结", "other": "负责人离职，新负责人不再续约"}


def _demo_losses(*, rng: random.Random, now: dt.datetime) -> int:
    """Per account manager, up to three churn-risk customers (past the ones the care
    tasks use) given up over the last five weeks, each reason with its note."""
    from care.loss_services import customer_give_up
    from crm.models import Customer

    weights = {"price": 5, "competitor": 4, "service": 3, "product_fit": 2, "no_budget": 2, "business_closed": 1,
               "other": 1}
    lost = 0
    owners = (Customer.objects.filter(source="demo", owner__isnull=False).select_related("owner").order_by()
              .values_list("owner_id", flat=True).distinct())
    for owner_id in owners:
        at_risk = list(Customer.objects.filter(source="demo", owner_id=owner_id, segment__tier="churn_risk",
                                               losses__isnull=True).select_related("owner").order_by("id")[40:43])
        for customer in at_risk:
            reason = rng.choices(list(weights), weights=list(weights.values()))[0]
            customer_give_up(actor=customer.owner, customer=customer, reason=reason, note=LOSS_NOTES[reason],
                             now=now - dt.timedelta(days=rng.randint(1, 35)))
            lost += 1
    return lost



def demo_points(*, rng: random.Random, now: dt.datetime) -> str:
    """The reward catalogue; per demo account manager a few referrals (customers 20-25
    referred by customers 0-2, the bonus awarded as a first purchase would) and a few
    redemptions of what the balance allows."""
    from care import points_selectors, points_services
    from care.models import Reward
    from crm.models import Customer, User

    points_services.rewards_default_ensure()
    rewards = list(Reward.objects.filter(active=True).order_by("points"))
    referrals = redemptions = 0
    owners = (Customer.objects.filter(source="demo", owner__isnull=False).order_by()
              .values_list("owner_id", flat=True).distinct())
    for owner_id in owners:
        owner = User.objects.get(pk=owner_id)
        mine = list(Customer.objects.filter(source="demo", owner_id=owner_id).order_by("id")[:40])
        referred = mine[20:26]
        for i, customer in enumerate(referred):
            Customer.objects.filter(pk=customer.pk).update(referred_by=mine[i % 3])
        referrals += len(referred)
        points_services.referral_bonuses_award(customer_ids=[c.pk for c in referred], now=now)
        for customer in mine[:3] + referred[:2]:
            balance = points_selectors.points_summary(customer=customer)["balance"]
            affordable = [r for r in rewards if r.points <= balance]
            if affordable:
                points_services.points_redeem(actor=owner, customer=customer, reward=rng.choice(affordable),
                                              now=now)
                redemptions += 1
    return f"{referrals} referrals, {redemptions} redemptions"
