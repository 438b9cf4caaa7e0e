"""The data set of the page walk: every page has something to show, and every
text the data itself brings is ASCII, so a CJK character on an English page or
an English word on a Chinese page comes from the code, not from the data."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.apps import apps
from django.db import models
from django.utils import timezone

PASSWORD = "walk-pass-2026"
# username: (role, team, first name, last name)
PEOPLE = {
    "ada": ("admin", None, "Ada", "Lovelace"),
    "lena": ("team_lead", "North", "Lena", "Lead"),
    "alice": ("account_manager", "North", "Alice", "Archer"),
    "bob": ("account_manager", "North", "Bob", "Baker"),
    "charlie": ("account_manager", "South", "Charlie", "Chen"),
    "sam": ("support", None, "Sam", "Support"),
}
COMPANIES = ["Acme Printing", "Globex Foods", "Initech Tools", "Umbrella Labs", "Hooli Cloud", "Stark Metals",
             "Wayne Paper", "Wonka Sweets", "Tyrell Robots", "Cyberdyne Parts", "Soylent Farms", "Vandelay Imports"]


def build(*, now: dt.datetime) -> dict:
    """Create the walk's data set at ``now``; returns the users by username."""
    from core.services import notification_create
    from crm.models import Customer, FollowUp, Interaction, Team, Transaction, User
    from segmentation.services import segments_recompute
    from tickets import services as tickets
    from tickets.defaults import ensure_defaults

    ensure_defaults()
    teams = {name: Team.objects.create(name=name) for name in ("North", "South")}
    users = {}
    for username, (role, team, first, last) in PEOPLE.items():
        user = User(username=username, role=role, team=teams.get(team), email=f"{username}@example.com",
                    first_name=first, last_name=last, is_staff=role == "admin", is_superuser=role == "admin")
        user.set_password(PASSWORD)
        user.save()
        users[username] = user
    today = timezone.localdate(now)
    customers = []
    for i, name in enumerate(COMPANIES):
        owner = users["charlie"] if i % 4 == 3 else users["alice" if i % 2 == 0 else "bob"]
        since = now - dt.timedelta(days=30 + 70 * i)
        customers.append(Customer.objects.create(
            name=name, owner=owner, team=owner.team, created_at=since, region="East" if i % 2 else "North",
            industry="Manufacturing" if i % 3 else "Retail", phone=f"1381234{i:04d}", email=f"buyer{i}@example.com",
            tags=",vip," if i % 5 == 0 else ""))
    for i, customer in enumerate(customers):
        since = timezone.localdate(customer.created_at)
        silent = i in (5, 9)  # no activity for months: churn risk
        last = (today - dt.timedelta(days=120)) if silent else today - dt.timedelta(days=2 + i)
        for k in range(4):
            day = max(since + dt.timedelta(days=1), last - dt.timedelta(days=45 * k))
            paid = day + dt.timedelta(days=20 if k % 3 else 40)
            Transaction.objects.create(customer=customer, kind="purchase", amount=Decimal(1200 + 350 * i + 90 * k),
                                       occurred_on=day, due_on=day + dt.timedelta(days=30),
                                       paid_on=paid if paid <= today else None)
        staff = customer.owner
        Interaction.objects.create(
            customer=customer, occurred_at=timezone.make_aware(dt.datetime.combine(last, dt.time(10))),
            staff=staff, summary="Quarterly call about the next order", feedback="Wants faster delivery",
            is_objection=i == 2, next_action="Send the new price list", next_action_owner=staff,
            next_action_due=today + dt.timedelta(days=3))
        if i % 3 == 0:
            FollowUp.objects.create(customer=customer, owner=staff, source=FollowUp.Source.MANUAL,
                                    reason="Check the delivery dates", due_at=now - dt.timedelta(days=i + 1),
                                    created_at=now - dt.timedelta(days=i + 3))
    sam = users["sam"]
    subjects = [("Invoice amount is wrong", "billing", "urgent"), ("Printer jams on page 2", "product", "critical"),
                ("Delivery is late", "service", "normal"), ("Login does not work", "technical", "normal"),
                ("Second billing complaint", "billing", "normal")]
    made = []
    for k, (subject, category, urgency) in enumerate(subjects):
        made.append(tickets.ticket_create(actor=sam, customer=customers[k], subject=subject, category=category,
                                          urgency=urgency, is_complaint=category == "billing",
                                          description="The customer called about it.", assignee=sam,
                                          now=now - dt.timedelta(hours=3 * k + 1)))
    tickets.sla_breach_scan(now=now)
    tickets.ticket_reply(ticket=made[2], actor=sam, body="We are on it.", now=now)
    tickets.ticket_resolve(ticket=made[3], actor=sam, resolution="Password reset", now=now)
    _surveys(customers, now=now)
    segments_recompute(as_of=today, now=now)
    _reviews(users, teams, now=now)
    notification_create(recipient=users["alice"], kind="ticket_assigned",
                        params={"number": made[0].number, "subject": made[0].subject},
                        url=f"/tickets/{made[0].pk}/", now=now, email=False)
    return users


def _surveys(customers, *, now):
    from surveys.models import SurveyResponse
    from surveys.services import snapshots_rebuild_recent, survey_default_ensure

    survey = survey_default_ensure(now=now)
    for i, customer in enumerate(customers[:8]):
        at = now - dt.timedelta(days=3 + 2 * i)
        SurveyResponse.objects.create(customer=customer, survey=survey, answered_at=at, nps=(3, 7, 9, 10)[i % 4],
                                      overall=(4, 7, 9, 10)[i % 4], quality=8, speed=6 + i % 4, resolution=7,
                                      care=8, reason="Good service but slow invoices", suggestions="Call less often",
                                      created_at=at, channel=SurveyResponse.Channel.EMAIL_LINK)
    snapshots_rebuild_recent(now=now)


def _reviews(users, teams, *, now):
    from reviews.services import (metric_snapshots_rebuild, review_action_create, review_create,
                                  review_finding_add)

    today = timezone.localdate(now)
    metric_snapshots_rebuild(as_of=today, now=now)
    start = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    end = today.replace(day=1) - dt.timedelta(days=1)
    review = review_create(user=users["lena"], title="North monthly review", period_start=start, period_end=end,
                           scope_kind="team", team=teams["North"], summary="A steady month.", now=now,
                           targets=[{"metric": "nps", "target": 30}, {"metric": "sla_compliance", "target": 95}])
    review_finding_add(review=review, kind="strength", title="Fast replies", detail="Most calls were answered")
    review_finding_add(review=review, kind="problem", title="Late invoices", detail="Three invoices were late",
                       cause="Manual billing")
    review_action_create(actor=users["lena"], review=review, title="Automate billing reminders", owner=users["alice"],
                         deadline=today + dt.timedelta(days=20), metric="nps", now=now)


def data_words() -> set[str]:
    """Every ASCII word of every text stored in the project's tables: on a Chinese
    page these are the data's own words, not a template's."""
    words: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label not in {"crm", "core", "segmentation", "tickets", "surveys", "reviews"}:
            continue
        fields = [f.attname for f in model._meta.concrete_fields
                  if isinstance(f, (models.CharField, models.TextField, models.JSONField))]
        for row in model.objects.all():
            for name in fields:
                words.update(re.findall(r"[A-Za-z]+", str(getattr(row, name) or "")))
    return words
