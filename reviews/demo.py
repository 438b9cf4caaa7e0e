"""Demo hook (crm's generate_demo_data): last month's review report for each team,
with targets, findings and an improvement action, plus the metric and dashboard
snapshots the dashboards read."""
from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from core import access
from crm.models import Team, User
from reviews import services
from reviews.metrics import CATALOGUE, month_period
from reviews.models import DashboardSnapshot, MetricSnapshot, Review

DEMO_TAG = "[demo]"
# Targets a team lead might set (rates in %, NPS in points, times in minutes/hours).
TARGETS = {"nps": 30, "churn_rate": 5, "repurchase_rate": 35, "first_response_minutes": 10, "contact_frequency": 2,
           "avg_satisfaction": 80, "sla_compliance": 95, "collection_rate": 90}


def demo_generate(*, seed: int, now: dt.datetime, bulk: bool = False) -> str:
    """Deterministic for a seed and ``now``. With ``bulk`` (large demo sets) the
    snapshots cover 3 months instead of 12 (the nightly job fills the rest)."""
    rng = random.Random(seed)
    today = timezone.localdate(now)
    period = month_period(today.replace(day=1) - dt.timedelta(days=1))
    admin = User.objects.filter(role=access.Role.ADMIN, is_active=True).order_by("pk").first()
    made = []
    for team in Team.objects.order_by("pk"):
        author = User.objects.filter(team=team, role=access.Role.TEAM_LEAD, is_active=True).order_by("pk").first()
        author = author or admin
        owner = (User.objects.filter(team=team, role=access.Role.ACCOUNT_MANAGER, is_active=True).order_by("pk")
                 .first())
        if author is None or owner is None:
            continue
        with transaction.atomic():
            review = services.review_create(
                user=author, title=f"{team.name} {period.start:%Y-%m} 客户维护复盘", period_start=period.start,
                period_end=period.end, scope_kind=Review.ScopeKind.TEAM, team=team,
                targets=[{"metric": k, "target": v} for k, v in TARGETS.items()],
                summary=f"{DEMO_TAG} 复盘目的：回顾上月客户维护工作，找出改进方向。参与人员：主管、客户经理、客服代表。",
                now=now)
            rows = {r.metric: r for r in review.metric_rows.all()}
            for key, row in rows.items():
                if row.actual is None:
                    continue
                on = CATALOGUE[key].better(row.actual, row.target)
                row.analysis = "达到预期，保持现有做法。" if on else "未达预期，需在下月重点改进。"
                row.save(update_fields=["analysis"])
            services.review_finding_add(review=review, kind="strength", title="客户响应速度快",
                                        detail="多数工单在 10 分钟内首次响应。", cause="客服排班与工单路由优化。")
            services.review_finding_add(review=review, kind="problem", title="部分客户流失",
                                        detail="90 天未联系的客户增多。", cause="回访计划执行不到位。")
            services.review_action_create(
                actor=author, review=review, title="对流失风险客户逐一电话回访并制定挽回方案", owner=owner,
                deadline=today + dt.timedelta(days=rng.randint(7, 21)), metric="churn_rate", now=now)
        made.append(review.pk)
    snaps = services.metric_snapshots_rebuild(as_of=today, now=now, months=3 if bulk else 12)
    return f"{len(made)} review reports for {period.start:%Y-%m}, {snaps} snapshots"


def demo_reset() -> None:
    """Demo reports (and the snapshot caches, rebuilt nightly) go before the demo customers."""
    Review.objects.filter(summary__startswith=DEMO_TAG).delete()
    MetricSnapshot.objects.all().delete()
    DashboardSnapshot.objects.all().delete()
