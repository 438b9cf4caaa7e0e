"""Demo tickets (hook of ``manage.py generate_demo_data``).

A few hundred tickets at most over the demo customers, replayed through the
services at their own times so every clock, breach, escalation, repeat flag
and rating is real: most are closed with a satisfaction rating, some open
ones are running or breached right now, and billing complaints surge in the
last three weeks (a trend alert). Departments get supervisors from the demo
users; the default SLA policies apply. Deterministic for a seed and ``now``."""
from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from crm.demo import demo_customer_since, not_before_since
from crm.models import Customer, User
from tickets import services
from tickets.defaults import ensure_defaults
from tickets.models import OPEN_STATUSES, Department, Ticket, TrendAlert, WeeklySummary

MAX_TICKETS = 300
SUBJECTS = {
    "product": ["打印机卡纸", "设备无法开机", "配件缺失", "产品外观有划痕"],
    "technical": ["系统登录失败", "数据同步异常", "接口返回超时", "软件升级后报错"],
    "service": ["上门服务预约", "安装进度查询", "服务人员未按时到达"],
    "invoice": ["发票抬头有误", "需要补开发票", "发票未收到"],
    "billing": ["账单金额不符", "重复扣款", "退款未到账", "月结账单缺少明细"],
    "complaint": ["对售后响应速度不满", "客服态度问题", "多次维修仍未解决"],
    "other": ["合同条款咨询", "更换联系人", "资料更新"],
}
CATEGORY_WEIGHTS = {"product": 18, "technical": 22, "service": 15, "invoice": 10, "billing": 13, "complaint": 10,
                    "other": 12}
REPLIES = ["您好，已收到您的问题，我们正在处理。", "工程师已安排，今天内联系您。", "已核实情况，正在协调相关部门。"]
RESOLUTIONS = ["已更换配件，问题解决。", "已远程修复并验证。", "已重新开具发票并寄出。", "已完成退款处理。"]
FEEDBACK = {5: "处理及时，非常满意", 4: "整体不错", 3: "一般", 2: "等待时间较长", 1: "问题反复出现，很不满意"}


def demo_reset() -> None:
    """Tickets cascade from the demo customers; the derived weekly rows do not."""
    WeeklySummary.objects.all().delete()
    TrendAlert.objects.all().delete()


def _users() -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=["admin", "lead", "manager", "support"])}


def demo_generate(*, seed: int, now: dt.datetime, bulk: bool = False) -> str:
    rng = random.Random(seed)
    ensure_defaults()
    users = _users()
    support = users.get("support") or User.objects.filter(is_active=True).order_by("id").first()
    if support is None:
        return "no users: skipped"
    lead = users.get("lead", support)
    for code, supervisor in (("technical", lead), ("after_sales", lead), ("finance", users.get("admin", lead))):
        Department.objects.filter(code=code, supervisor__isnull=True).update(supervisor=supervisor)
    customer_ids = list(Customer.objects.filter(source="demo").order_by("id").values_list("id", flat=True))
    if not customer_ids:
        return "no demo customers: skipped"
    pool = rng.sample(customer_ids, min(len(customer_ids), 120))
    count = min(MAX_TICKETS, max(20, 2 * len(pool)))
    plans = [_plan(rng, now=now, customer_id=rng.choice(pool)) for _ in range(count)]
    # A billing-complaint surge over the last three complete weeks (above its 8-week baseline).
    this_week = timezone.localtime(now).date() - dt.timedelta(days=timezone.localtime(now).weekday())
    for weeks_back, extra in ((3, 4), (2, 6), (1, 8)):
        week_start = timezone.make_aware(dt.datetime.combine(this_week - dt.timedelta(weeks=weeks_back),
                                                             dt.time(9)))
        for _ in range(extra):
            at = week_start + dt.timedelta(days=rng.randint(0, 4), hours=rng.uniform(0, 9))
            plans.append(_plan(rng, now=now, customer_id=rng.choice(pool), category="billing", complaint=True,
                               days_ago=(now - at).total_seconds() / 86400))
    _after_customer_since(plans, rng=rng, pool=pool, now=now)
    plans.sort(key=lambda p: p["created_at"])
    customers = Customer.objects.in_bulk([p["customer_id"] for p in plans])
    assignees = [support, users.get("manager", support)]
    for plan in plans:
        _replay(plan, rng=rng, customer=customers[plan["customer_id"]], support=support, assignees=assignees,
                now=now)
    scan = services.sla_breach_scan(now=now)
    for weeks_back in range(8, 0, -1):
        services.weekly_summary_compute(week_start=this_week - dt.timedelta(weeks=weeks_back), now=now)
    alerts = services.trend_alerts_detect(week_start=this_week - dt.timedelta(weeks=1), now=now)
    qs = Ticket.objects.filter(customer__source="demo")
    open_count = qs.filter(status__in=OPEN_STATUSES).count()
    rated = qs.filter(satisfaction__isnull=False).count()
    repeats = qs.filter(is_repeat=True).count()
    return (f"{qs.count()} tickets ({open_count} open, {rated} rated, {repeats} repeat), "
            f"{scan['breaches_recorded']} breaches found open now, {len(alerts)} trend alerts")


def _after_customer_since(plans: list[dict], *, rng: random.Random, pool: list[int], now: dt.datetime) -> None:
    """No ticket before its customer was a customer: another customer of the pool
    who was one by then, else the ticket moves to the customer's first day."""
    since = demo_customer_since()
    for plan in plans:
        day = timezone.localdate(plan["created_at"])
        if since[plan["customer_id"]] <= day:
            continue
        eligible = [pk for pk in pool if since[pk] <= day]
        if eligible:
            plan["customer_id"] = rng.choice(eligible)
        else:
            plan["created_at"] = not_before_since(plan["created_at"], since[plan["customer_id"]], now=now)


def _plan(rng: random.Random, *, now: dt.datetime, customer_id: int, category: str | None = None,
          complaint: bool | None = None, days_ago: float | None = None) -> dict:
    category = category or rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
    if days_ago is None:
        # Most tickets are history; one in eight is from the last day.
        days_ago = rng.uniform(0, 1) if rng.random() < 0.125 else rng.uniform(1, 100)
    created = now - dt.timedelta(days=days_ago)
    local = timezone.localtime(created)
    if days_ago > 1 and not 9 <= local.hour < 20 and complaint is None:
        created = local.replace(hour=rng.randint(9, 19), minute=rng.randint(0, 59))  # office hours
        created = min(created, now - dt.timedelta(minutes=1))
    return {
        "customer_id": customer_id, "category": category, "created_at": created,
        "is_complaint": complaint if complaint is not None else (category == "complaint" or rng.random() < 0.2),
        "urgency": rng.choices(["normal", "urgent", "critical"], weights=[70, 22, 8])[0],
        "channel": rng.choice(["phone", "email", "wechat", "web"]),
        "subject": rng.choice(SUBJECTS[category]),
    }


def _replay(plan: dict, *, rng: random.Random, customer, support, assignees, now: dt.datetime) -> None:
    """Create one ticket and play its life through the services, stopping at ``now``."""
    t0 = plan["created_at"]
    ticket = services.ticket_create(actor=support, customer=customer, subject=plan["subject"], now=t0,
                                    category=plan["category"], urgency=plan["urgency"], channel=plan["channel"],
                                    is_complaint=plan["is_complaint"], assignee=rng.choice(assignees),
                                    description=plan["subject"] + "，请尽快处理。")
    minutes = dt.timedelta(minutes=1)
    # First reply: usually inside the 10 minutes, sometimes late.
    reply_at = t0 + minutes * (rng.randint(2, 9) if rng.random() < 0.82 else rng.randint(11, 45))
    if reply_at >= now:
        return  # still new: its first-response clock is running (or breached) right now
    services.ticket_reply(ticket=ticket, actor=support, body=rng.choice(REPLIES), now=reply_at)
    commit_at = reply_at + minutes * (rng.randint(5, 90) if rng.random() < 0.85 else rng.randint(125, 300))
    if commit_at >= now:
        return
    services.ticket_commit(ticket=ticket, actor=support, now=commit_at,
                           committed_resolution_at=commit_at + dt.timedelta(hours=rng.choice([4, 8, 24, 48])))
    if rng.random() < 0.15:
        wait_at = commit_at + minutes * rng.randint(10, 120)
        if wait_at >= now:
            return
        services.ticket_wait(ticket=ticket, actor=support, now=wait_at)
        back_at = wait_at + dt.timedelta(hours=rng.randint(2, 30))
        if back_at >= now:
            return  # waiting on the customer: paused
        services.ticket_reply(ticket=ticket, actor=support, body="客户已补充信息。", from_customer=True, now=back_at)
    resolved_at = max(commit_at, ticket.updated_at) + dt.timedelta(hours=rng.uniform(0.5, 40))
    if resolved_at >= now:
        return
    services.ticket_resolve(ticket=ticket, actor=support, resolution=rng.choice(RESOLUTIONS), now=resolved_at)
    closed_at = resolved_at + dt.timedelta(hours=rng.uniform(1, 48))
    if closed_at >= now:
        return
    score = rng.choices([5, 4, 3, 2, 1], weights=[40, 30, 15, 10, 5])[0]
    services.ticket_close(ticket=ticket, actor=support, satisfaction=score, feedback=FEEDBACK[score], now=closed_at)
