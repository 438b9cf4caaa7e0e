"""Pages: My follow-ups (one-click contact), the segment overview, the settings
page and the customer-page panel."""
from __future__ import annotations

import pytest
from django.test import Client

from core.models import Job
from crm.models import Interaction
from segmentation import services
from segmentation.models import SegmentSettings
from segmentation.tests.factories import AS_OF, buy, customer_since, days_ago, followup, talk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today_is_as_of")]


def client_for(user, lang: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client


@pytest.fixture
def overdue(alice, charlie, make_customer, now):
    north = customer_since(make_customer, owner=alice, name="Overdue North", days=300)
    talk(north, days=30)
    followup(north, owner=alice, due_days=1)
    south = customer_since(make_customer, owner=charlie, name="Overdue South", days=300)
    talk(south, days=30)
    services.segments_recompute(as_of=AS_OF, now=now)
    return north


def test_my_follow_ups_lists_alices_overdue_customers_and_not_charlies(overdue, alice):
    html = client_for(alice).get("/segments/follow-ups/").content.decode()
    assert "Overdue North" in html and "Overdue South" not in html
    assert "Detractor call-back: Call back the detractor" in html
    assert "last contact 30 days ago" in html


def test_one_click_logging_clears_the_customers_queue_items(overdue, alice):
    client = client_for(alice)
    response = client.post("/segments/follow-ups/log/", {"customer_id": overdue.pk, "channel": "phone",
                                                         "summary": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'hx-swap-oob="true"' in response.content.decode() and "0 items due" in response.content.decode()
    interaction = Interaction.objects.filter(customer=overdue).latest("occurred_at")
    assert interaction.staff == alice and interaction.summary == "Follow-up from the queue"
    assert "Overdue North" not in client.get("/segments/follow-ups/").content.decode()


def test_charlie_cannot_log_a_contact_for_a_north_customer(overdue, charlie):
    response = client_for(charlie).post("/segments/follow-ups/log/", {"customer_id": overdue.pk, "channel": "phone"})
    assert response.status_code == 404
    assert not Interaction.objects.filter(customer=overdue, staff=charlie).exists()


def test_follow_ups_page_query_count_is_constant(alice, make_customer, now, django_assert_max_num_queries):
    for i in range(12):
        c = customer_since(make_customer, owner=alice, name=f"Quiet {i}", days=300)
        talk(c, days=40 + i)
        followup(c, owner=alice, due_days=i)
    services.segments_recompute(as_of=AS_OF, now=now)
    client = client_for(alice)
    with django_assert_max_num_queries(14):
        html = client.get("/segments/follow-ups/").content.decode()
    assert html.count('class="queue-group"') == 12


def test_my_follow_ups_page_is_complete_in_chinese(overdue, alice):
    html = client_for(alice, "zh-hans").get("/segments/follow-ups/").content.decode()
    assert "我的回访" in html and "已联系" in html


def test_overview_shows_tier_mix_trend_and_transitions_in_scope(alice, charlie, lena, make_customer, now):
    slipping = customer_since(make_customer, owner=alice, name="Slipping Star", days=500)
    buy(slipping, days=100, amount=5000)
    steady = customer_since(make_customer, owner=alice, name="Steady", days=100)
    talk(steady, days=2)
    south = customer_since(make_customer, owner=charlie, name="South Co", days=500)
    buy(south, days=100)
    services.segments_recompute(as_of=days_ago(30), now=now)
    services.segments_recompute(as_of=AS_OF, now=now)

    html = client_for(lena).get("/segments/").content.decode()
    assert 'id="tier-mix"' in html and 'id="tier-trend"' in html
    assert days_ago(30).isoformat() in html and AS_OF.isoformat() in html
    # Slipping Star moved from high value to churn risk (100 days without activity).
    assert "Slipping Star" in html and "South Co" not in html
    assert "Recompute segments" in html  # leads get the button

    alice_html = client_for(alice).get("/segments/").content.decode()
    assert "Recompute segments" not in alice_html
    charlie_html = client_for(charlie).get("/segments/").content.decode()
    assert "Slipping Star" not in charlie_html and "South Co" in charlie_html


def test_overview_in_chinese(lena, make_customer, alice, now):
    customer_since(make_customer, owner=alice, name="X", days=10)
    services.segments_recompute(as_of=AS_OF, now=now)
    html = client_for(lena, "zh-hans").get("/segments/").content.decode()
    assert "客户分层" in html and "流失风险" in html and "重新计算" in html


def test_a_lead_starts_a_recompute_from_the_page_and_sees_its_status(lena, alice):
    response = client_for(lena).post("/segments/recompute/", {"as_of": "2026-06-15"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    job = Job.objects.get()
    assert job.created_by == lena and job.status == "queued"
    html = response.content.decode()
    # The job's progress include, polling its own partial while queued.
    assert f'data-job="{job.pk}"' in html and f'hx-get="/jobs/{job.pk}/progress/"' in html
    assert client_for(alice).post("/segments/recompute/", {"as_of": "2026-06-15"}).status_code == 403
    assert Job.objects.count() == 1


def test_settings_page_is_for_leads_and_validates_beside_the_field(lena, alice):
    assert client_for(alice).get("/segments/settings/").status_code == 403
    client = client_for(lena)
    data = {f.name: getattr(SegmentSettings(), f.name) for f in SegmentSettings._meta.fields
            if f.name not in ("id", "updated_at", "updated_by")}
    bad = {**data, "value_high_percent": 60, "value_medium_percent": 50}
    html = client.post("/segments/settings/", bad).content.decode()
    assert "High and medium together cannot exceed 100" in html
    assert not SegmentSettings.objects.exists()

    response = client.post("/segments/settings/", {**data, "churn_inactivity_days": 60})
    assert response.status_code == 302
    saved = SegmentSettings.objects.get(pk=1)
    assert saved.churn_inactivity_days == 60 and saved.updated_by == lena


def test_a_changed_threshold_changes_the_next_recompute(lena, alice, make_customer, now):
    c = customer_since(make_customer, owner=alice, name="C", days=200)
    talk(c, days=70)
    services.segments_recompute(as_of=AS_OF, now=now)
    assert c.segment.tier == "potential"
    services.segment_settings_update(actor=lena, data={"churn_inactivity_days": 60}, now=now)
    services.segments_recompute(as_of=AS_OF, now=now)
    c.refresh_from_db()
    assert c.segment.tier == "churn_risk" and c.segment.tier_reason == "inactive:70"


def test_customer_page_panel_shows_tier_reason_rfm_and_health_components(overdue, alice):
    html = client_for(alice).get(f"/customers/{overdue.pk}/").content.decode()
    assert 'id="segment-panel"' in html
    assert "customer for 300 days, spend below the top 20%" in html
    assert "Health score" in html and "Contact regularity" in html and "no data" in html


def test_customer_page_says_no_purchases_in_the_window_when_older_purchases_exist(alice, make_customer, now):
    old_buyer = customer_since(make_customer, owner=alice, name="Old buyer", days=0)
    buy(old_buyer, days=500, amount=300)
    never = customer_since(make_customer, owner=alice, name="Never bought", days=30)
    services.segments_recompute(as_of=AS_OF, now=now)

    html = client_for(alice).get(f"/customers/{old_buyer.pk}/").content.decode()
    assert "No purchases in the last 365 days" in html and f"last purchase on {days_ago(500)}" in html
    # Customer since its first purchase, though imported today.
    assert f'<dd class="customer-since">{days_ago(500)}</dd>' in html
    html = client_for(alice).get(f"/customers/{never.pk}/").content.decode()
    assert "No purchases in the last" not in html and "No purchases" in html


def test_a_long_follow_up_queue_is_paged_through_the_next_link(alice, make_customer, now):
    import re

    for i in range(30):
        c = customer_since(make_customer, owner=alice, name=f"Quiet {i:02d}", days=300)
        talk(c, days=40 + i)
    services.segments_recompute(as_of=AS_OF, now=now)
    client = client_for(alice)
    first = client.get("/segments/follow-ups/").content.decode()
    after = re.search(r'href="\?after=([^"]+)" rel="next"', first).group(1)
    second = client.get(f"/segments/follow-ups/?after={after}").content.decode()
    assert first.count('class="queue-group"') == 25 and second.count('class="queue-group"') == 5
    assert 'rel="next"' not in second and "30 items due or overdue" in first
