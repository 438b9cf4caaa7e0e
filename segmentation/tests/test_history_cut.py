"""Issue 16 item 8: a recompute at a past as_of sees exactly the history up to that
date. The same customers are loaded twice — once with their full history (as an
import brings it in, created today), once with the history cut at the date — and
the recompute at that date must give identical segments."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Customer, Interaction, Transaction
from segmentation import services
from segmentation.models import CustomerSegment, SegmentHistory

CUT = dt.date(2025, 9, 30)
TODAY = dt.date(2026, 6, 15)


def _noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def _world_spec(seed: int = 5, customers: int = 60) -> list[dict]:
    """Per customer: a first deal date (or none), transactions, interactions,
    tickets and survey answers spread over two years around CUT."""
    rnd = random.Random(seed)
    start = CUT - dt.timedelta(days=500)

    def day() -> dt.date:
        return start + dt.timedelta(days=rnd.randrange(0, (TODAY - start).days))

    spec = []
    for i in range(customers):
        txs = []
        for _ in range(rnd.choice([0, 1, 2, 3, 6, 10])):
            on = day()
            due = on + dt.timedelta(days=30) if rnd.random() < .7 else None
            paid = due + dt.timedelta(days=rnd.choice([-10, 0, 5, 40])) if due and rnd.random() < .8 else None
            txs.append({"kind": "refund" if rnd.random() < .1 else "purchase", "amount": rnd.choice([50, 300, 2000]),
                        "occurred_on": on, "due_on": due, "paid_on": paid})
        talks = []
        for _ in range(rnd.choice([0, 1, 3, 8])):
            at = _noon(day())
            objection = rnd.random() < .2
            talks.append({"occurred_at": at, "is_objection": objection,
                          "objection_resolved_at": at + dt.timedelta(days=rnd.choice([3, 60, 200]))
                          if objection and rnd.random() < .7 else None})
        tickets = []
        for _ in range(rnd.choice([0, 0, 1, 2])):
            at = _noon(day())
            resolved = at + dt.timedelta(days=rnd.choice([1, 20, 90])) if rnd.random() < .8 else None
            tickets.append({"created_at": at, "is_complaint": rnd.random() < .4, "resolved_at": resolved,
                            "closed_at": resolved, "satisfaction": rnd.choice([1, 3, 5]) if resolved else None})
        answers = [{"answered_at": _noon(day()), "overall": rnd.choice([3, 5, 8, 10]), "nps": rnd.choice([2, 7, 9])}
                   for _ in range(rnd.choice([0, 0, 1, 2]))]
        spec.append({"name": f"C{i}", "first_deal_date": day() if rnd.random() < .5 else None,
                     # Most were imported today; a few were created in the app before the cut.
                     "created_at": _noon(TODAY if i % 4 else CUT - dt.timedelta(days=rnd.randrange(1, 300))),
                     "transactions": txs, "interactions": talks, "tickets": tickets, "answers": answers})
    return spec


def _cut(spec: list[dict], day: dt.date) -> list[dict]:
    """The same history as it stood at the end of ``day``: later records absent,
    later resolutions, closes and ratings not yet happened, a later deal unknown."""
    end = _noon(day) + dt.timedelta(hours=12)
    out = []
    for c in spec:
        out.append({
            **c,
            "first_deal_date": c["first_deal_date"] if c["first_deal_date"] and c["first_deal_date"] <= day else None,
            "transactions": [{**t, "paid_on": t["paid_on"] if t["paid_on"] and t["paid_on"] <= day else None}
                             for t in c["transactions"] if t["occurred_on"] <= day],
            "interactions": [{**t, "objection_resolved_at": t["objection_resolved_at"]
                              if t["objection_resolved_at"] and t["objection_resolved_at"] < end else None}
                             for t in c["interactions"] if t["occurred_at"] < end],
            "tickets": [{**t, **({} if t["resolved_at"] and t["resolved_at"] < end else
                                 {"resolved_at": None, "closed_at": None, "satisfaction": None})}
                        for t in c["tickets"] if t["created_at"] < end],
            "answers": [a for a in c["answers"] if a["answered_at"] < end],
        })
    return out


def _load(spec: list[dict], *, owner) -> None:
    from surveys.tests.factories import make_response
    from tickets.models import Ticket

    for c in spec:
        customer = Customer.objects.create(name=c["name"], owner=owner, team=owner.team,
                                           first_deal_date=c["first_deal_date"], created_at=c["created_at"])
        Transaction.objects.bulk_create([Transaction(customer=customer, kind=t["kind"], amount=Decimal(t["amount"]),
                                                     occurred_on=t["occurred_on"], due_on=t["due_on"],
                                                     paid_on=t["paid_on"]) for t in c["transactions"]])
        Interaction.objects.bulk_create([Interaction(customer=customer, staff=owner, summary="call", **t)
                                         for t in c["interactions"]])
        for n, t in enumerate(c["tickets"]):
            Ticket.objects.create(customer=customer, subject="issue", category="service",
                                  status="closed" if t["closed_at"] else "open", updated_at=t["created_at"], **t)
        for a in c["answers"]:
            make_response(customer, at=a["answered_at"], nps=a["nps"], overall=a["overall"])


def _segments() -> dict[str, dict]:
    rows = CustomerSegment.objects.select_related("customer").order_by("customer__name")
    return {s.customer.name: {k: v for k, v in s.__dict__.items() if k not in ("_state", "customer_id", "computed_at")
                              and not k.startswith("_")} for s in rows}


def _history() -> dict[str, tuple]:
    return {h.customer.name: (h.as_of, h.tier, h.value_tier, h.health_score, h.rfm_segment)
            for h in SegmentHistory.objects.select_related("customer")}


def _recompute_in_world(spec, *, owner, now) -> tuple[dict, dict]:
    Customer.objects.all().delete()
    _load(spec, owner=owner)
    job = services.segments_recompute(as_of=CUT, now=now)
    assert job.status == "succeeded"
    return _segments(), _history()


@pytest.mark.django_db
def test_a_full_history_recomputed_at_a_past_date_equals_the_history_cut_at_that_date(alice, now):
    spec = _world_spec()
    full_segments, full_history = _recompute_in_world(spec, owner=alice, now=now)
    cut_segments, cut_history = _recompute_in_world(_cut(spec, CUT), owner=alice, now=now)

    # Imported customers with history before the cut are in; those whose history starts later are not.
    since = {c["name"]: min([d for d in [c["first_deal_date"], timezone.localtime(c["created_at"]).date(),
                                         *[t["occurred_on"] for t in c["transactions"]]] if d])
             for c in spec}
    assert set(full_segments) == {name for name, day in since.items() if day <= CUT}
    assert 20 < len(full_segments) < len(spec)
    assert full_segments == cut_segments
    assert full_history == cut_history
    assert len({s["tier"] for s in full_segments.values()}) >= 3
