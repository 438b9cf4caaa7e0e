"""Churn prediction (issue 10): the label, point-in-time snapshots (no leakage),
the backtest against the rule baseline on the demo data, the stored model and
its artefact, the factors in words, the API and the training job."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.conf import settings
from django.utils import timezone, translation

from conftest import wait_until
from core.models import Job
from crm.models import Customer
from segmentation.churn import features, learn, selectors, services
from segmentation.churn.models import ChurnModel, ChurnScore
from segmentation.tests import test_history_cut as world
from segmentation.tests.factories import AS_OF, buy, customer_since, talk

pytestmark = pytest.mark.django_db


def _scores() -> dict[str, tuple]:
    return {s.customer.name: (round(s.probability, 9), s.factors, s.backtest_decile, s.backtest_churned)
            for s in ChurnScore.objects.select_related("customer")}


def _train_in_world(spec, *, owner, now) -> tuple[dict, dict]:
    Customer.objects.all().delete()
    world._load(spec, owner=owner)
    job = services.churn_train(as_of=world.CUT, now=now, snapshots=3)
    assert job.status == "succeeded", job.error
    model = ChurnModel.objects.get(pk=job.summary["model"])
    return _scores(), {k: v for k, v in model.metrics.items()}


def test_training_at_a_past_date_reads_only_records_up_to_it(alice, now):
    """Rule: snapshots, labels and today's scores at as_of read nothing after as_of.
    The same customers loaded with their full history (records up to a year after
    the date) and with the history cut at the date give identical models, metrics,
    probabilities and factors; any read past as_of would change them."""
    spec = world._world_spec(seed=11, customers=120)
    full_scores, full_metrics = _train_in_world(spec, owner=alice, now=now)
    cut_scores, cut_metrics = _train_in_world(world._cut(spec, world.CUT), owner=alice, now=now)
    assert len(full_scores) > 50
    assert full_metrics == cut_metrics
    assert full_scores == cut_scores


def test_the_label_is_no_activity_in_the_horizon_after_as_of(alice, make_customer):
    """Rule: churned = no transaction, interaction, ticket or survey answer on the
    days (as_of, as_of + horizon]; activity on as_of itself belongs to the features."""
    from reviews.tests.factories import survey_answer
    from tickets.models import Ticket

    as_of = AS_OF - dt.timedelta(days=100)
    quiet = customer_since(make_customer, owner=alice, name="quiet", days=400)
    buy(quiet, days=100)  # on as_of: not in the window
    bought = customer_since(make_customer, owner=alice, name="bought", days=400)
    buy(bought, days=10)  # as_of + 90: the window's last day
    late = customer_since(make_customer, owner=alice, name="late", days=400)
    buy(late, days=9)  # as_of + 91: after the window
    talked = customer_since(make_customer, owner=alice, name="talked", days=400)
    talk(talked, days=50)
    ticket = customer_since(make_customer, owner=alice, name="ticket", days=400)
    at = timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=30), dt.time(9)))
    Ticket.objects.create(customer=ticket, subject="help", created_at=at, updated_at=at)
    answered = customer_since(make_customer, owner=alice, name="answered", days=400)
    survey_answer(answered, at, nps=9)
    ids = np.array([c.pk for c in (quiet, bought, late, talked, ticket, answered)])

    labels = services.churn_labels(ids, as_of=as_of, horizon_days=90)

    assert labels.tolist() == [1, 0, 1, 0, 0, 0]


def test_the_model_beats_the_rule_baseline_on_the_demo_data(now):
    """Rule: on the demo world (a hidden propensity drives later silence) the chosen
    model's backtest AUC is above the churn_risk tier's, and its riskiest tenth
    churns more often than the average customer."""
    from crm import demo

    users = demo.demo_users_ensure()
    demo.demo_load(customers=800, seed=3, now=now, users=users, transactions_per_customer=6)
    job = services.churn_train(as_of=timezone.localdate(now), now=now)
    m = ChurnModel.objects.get(pk=job.summary["model"]).metrics
    assert m["auc"] > m["baseline_auc"] + 0.03, m
    assert m["top_decile_precision"] > m["base_rate"] * 1.5
    assert set(m["candidates"]) == set(learn.CANDIDATES)
    assert m["chosen"] == max(m["candidates"], key=m["candidates"].get)
    assert ChurnScore.objects.count() == m["scored"] > 700


@pytest.fixture
def trained(alice, charlie, now):
    """The cut world at CUT for North (alice) plus a few South customers, trained."""
    spec = world._world_spec(seed=11, customers=120)
    world._load(spec[:100], owner=alice)
    world._load(spec[100:], owner=charlie)
    job = services.churn_train(as_of=world.CUT, now=now, snapshots=3)
    return ChurnModel.objects.get(pk=job.summary["model"])


def test_the_stored_model_reloads_and_reproduces_its_scores(trained):
    """Rule: the artefact is the estimator that scored the customers (versioned row),
    and bytes whose digest is not ours are refused before unpickling."""
    model = learn.artefact_load(trained.artefact, trained.artefact_digest, key=settings.SECRET_KEY)
    X, _baseline = services.churn_snapshot(as_of=trained.as_of)
    p = dict(zip(X.index.tolist(), learn.predict(model, X.to_numpy())))
    stored = dict(ChurnScore.objects.values_list("customer_id", "probability"))
    assert stored and all(abs(p[cid] - v) < 1e-9 for cid, v in stored.items())
    with pytest.raises(learn.ArtefactRejected):
        learn.artefact_load(bytes(trained.artefact) + b"x", trained.artefact_digest, key=settings.SECRET_KEY)
    second = services.churn_train(as_of=world.CUT, now=trained.trained_at, snapshots=3)
    assert second.summary["model"] == trained.pk + 1 and ChurnModel.objects.count() == 2


def test_factors_are_the_top_three_signed_contributions_in_words(trained):
    """Rule: each customer's factors are its three largest contributions by size,
    rendered from the stored value in the reader's language."""
    score = ChurnScore.objects.order_by("-probability").first()
    assert 1 <= len(score.factors) <= 3
    sizes = [abs(f["contribution"]) for f in score.factors]
    assert sizes == sorted(sizes, reverse=True)
    model = learn.artefact_load(trained.artefact, trained.artefact_digest, key=settings.SECRET_KEY)
    X, _b = services.churn_snapshot(as_of=trained.as_of)
    row = X.loc[[score.customer_id]].to_numpy()
    ref = np.array([trained.reference[f] for f in features.FEATURES])
    contrib = learn.contributions(model, row, ref)[0]
    assert score.factors[0]["feature"] == features.FEATURES[int(np.argmax(np.abs(contrib)))]
    assert features.factor_text("purchase_recency_days", 120) == "no purchase for 120 days"
    assert features.factor_text("complaints_recent", 2) == "2 complaints in 30 days"
    with translation.override("zh-hans"):
        assert features.factor_text("purchase_recency_days", 120) == "120 天未购买"
        assert features.factor_text("complaints_recent", 2) == "30 天内 2 次投诉"


def test_the_api_shows_the_model_and_each_customers_score_in_scope(trained, alice, charlie, api_client_for):
    """Rule: GET churn-model gives the backtest fields; the customer API carries
    churn_probability and churn_factors, filters by churn_probability_min, sorts by
    churn_probability, and never shows another team's customer."""
    body = api_client_for(alice).get("/api/v1/segments/churn-model/").json()
    for key in ("as_of", "horizon_days", "trained_at", "auc", "top_decile_precision", "base_rate", "baseline_auc",
                "features"):
        assert key in body
    assert body["as_of"] == world.CUT.isoformat() and body["horizon_days"] == 90
    assert [f["name"] for f in body["features"]] == features.FEATURES
    client = api_client_for(alice)
    rows = client.get("/api/v1/customers/?ordering=-churn_probability&page_size=200").json()["results"]
    assert len(rows) == 100
    unscored = [r for r in rows if r["churn_probability"] is None]
    assert rows[len(rows) - len(unscored):] == unscored  # no score: sorted last
    rows = rows[:len(rows) - len(unscored)]
    probs = [r["churn_probability"] for r in rows]
    assert len(probs) > 50 and probs == sorted(probs, reverse=True)
    assert all(0 <= p <= 1 for p in probs)
    assert rows[0]["churn_factors"][0]["text"] and "contribution" in rows[0]["churn_factors"][0]
    cut = probs[30]
    high = client.get(f"/api/v1/customers/?churn_probability_min={cut}&page_size=200").json()["results"]
    assert {r["id"] for r in high} == {r["id"] for r in rows if r["churn_probability"] >= cut}
    south = set(Customer.objects.filter(owner=charlie).values_list("pk", flat=True))
    assert south and not south & {r["id"] for r in rows}


def test_training_is_for_leads_and_admins_and_checks_its_input(lena, alice, api_client_for):
    """Rule: an account manager may not train; bad input is a 400 per field and queues nothing."""
    assert api_client_for(alice).post("/api/v1/segments/churn-model/train/", {}, format="json").status_code == 403
    bad = api_client_for(lena).post("/api/v1/segments/churn-model/train/",
                                    {"as_of": "2999-01-01", "horizon_days": 3}, format="json")
    assert bad.status_code == 400 and "horizon_days" in bad.json()
    future = api_client_for(lena).post("/api/v1/segments/churn-model/train/", {"as_of": "2999-01-01"}, format="json")
    assert future.status_code == 400 and "as_of" in future.json()
    assert not Job.objects.exists()
    assert api_client_for(lena).get("/api/v1/segments/churn-model/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_training_requested_over_the_api_runs_on_a_real_worker(celery_worker_real, lena, alice, api_client_for):
    """Rule: POST train → a core job a worker runs; its model is then the current one."""
    world._load(world._world_spec(seed=11, customers=80), owner=alice)
    response = api_client_for(lena).post("/api/v1/segments/churn-model/train/",
                                         {"as_of": world.CUT.isoformat(), "horizon_days": 90}, format="json")
    assert response.status_code == 202
    job_id = response.json()["job_id"]
    wait_until(lambda: Job.objects.get(pk=job_id).status in ("succeeded", "failed"), timeout=120)
    job = api_client_for(lena).get(f"/api/v1/jobs/{job_id}/").json()
    assert job["status"] == "succeeded", job
    assert api_client_for(lena).get("/api/v1/segments/churn-model/").json()["version"] == job["summary"]["model"]
    assert ChurnScore.objects.count() == job["summary"]["customers"] > 0


def test_the_queue_puts_the_likelier_to_churn_first_among_customers_due_the_same_day(alice, make_customer, now):
    """Rule: cadence items due on the same day come in descending churn probability
    (no score last), and pages of one walk the same order without repeats."""
    from segmentation import queue
    from segmentation import services as segment_services
    from segmentation.tests.factories import AS_OF as TODAY

    same_day = [customer_since(make_customer, owner=alice, name=f"Due {i}", days=300) for i in range(5)]
    for c in same_day:
        talk(c, days=40)
    segment_services.segments_recompute(as_of=TODAY, now=now)
    model = ChurnModel.objects.create(as_of=TODAY, horizon_days=90, trained_at=now, kind="logistic_regression",
                                      artefact=b"", artefact_digest="")
    for c, p in zip(same_day, [0.2, 0.9, None, 0.5, 0.9]):
        if p is not None:
            ChurnScore.objects.create(customer=c, model=model, as_of=TODAY, probability=p)
    expected = [same_day[1].pk, same_day[4].pk, same_day[3].pk, same_day[0].pk, same_day[2].pk]

    whole = queue.followup_queue_page(user=alice, today=TODAY, limit=50)["items"]
    assert [it["customer"].pk for it in whole] == expected
    assert [it["churn_probability"] for it in whole] == [0.9, 0.9, 0.5, 0.2, None]
    walked, cursor = [], None
    for _ in range(10):
        page = queue.followup_queue_page(user=alice, today=TODAY, cursor=cursor, limit=2)
        walked += [it["customer"].pk for it in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert walked == expected


def test_the_model_page_shows_the_backtest_and_drills_each_decile_down_to_the_callers_customers(
        trained, alice, lena, sam, client):
    """Rule: the page shows the backtest figures, both charts' data with table views,
    one decile row per tenth linking to the customer list filtered to it, whose
    count is the caller's customers in that decile; support staff do not see it."""
    client.force_login(alice)
    html = client.get("/segments/churn/").content.decode()
    assert f"{trained.metrics['auc']:.3f}" in html and "churn-roc-data" in html and "churn-calibration-data" in html
    assert html.count("?churn_decile=") == len(trained.metrics["deciles"]) == 10
    assert 'id="churn-train"' not in html  # an account manager does not train
    mine = ChurnScore.objects.for_user(alice).filter(backtest_decile=1).count()
    assert f'data-decile="1">{mine}<' in html
    listed = client.get("/customers/?churn_decile=1").content.decode()
    names = set(ChurnScore.objects.for_user(alice).filter(backtest_decile=1).values_list("customer__name", flat=True))
    others = set(ChurnScore.objects.for_user(alice).exclude(backtest_decile=1).values_list("customer__name", flat=True))
    assert names and all(f">{n}<" in listed for n in names)
    assert not any(f">{n}<" in listed for n in others)
    client.force_login(sam)
    assert client.get("/segments/churn/").status_code == 403
    client.force_login(lena)
    assert 'id="churn-train"' in client.get("/segments/churn/").content.decode()


def test_the_train_form_queues_a_job_and_refuses_a_bad_horizon(lena, alice, client):
    """Rule: a lead's valid form queues one training job; a bad horizon queues none."""
    client.force_login(lena)
    client.post("/segments/churn/train/", {"as_of": "2026-06-01", "horizon_days": "3"})
    assert not Job.objects.exists()
    client.post("/segments/churn/train/", {"as_of": "2026-06-01", "horizon_days": "90"})
    assert list(Job.objects.values_list("kind", "params")) == [
        ("segmentation.churn_train", {"as_of": "2026-06-01", "horizon_days": 90})]
    client.force_login(alice)
    assert client.post("/segments/churn/train/", {"as_of": "2026-06-01", "horizon_days": "90"}).status_code == 403


def test_the_customer_page_shows_the_probability_and_factors_in_words(trained, alice, client):
    score = ChurnScore.objects.for_user(alice).order_by("-probability").first()
    client.force_login(alice)
    html = client.get(f"/customers/{score.customer_id}/").content.decode()
    assert 'id="churn-panel"' in html
    assert f"{round(score.probability * 100)}%" in html
    for factor in score.factor_texts:
        assert factor["text"] in html
