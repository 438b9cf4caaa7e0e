"""Browser journey of churn prediction: a lead reads the model page (charts drawn
by Chart.js, the decile table), opens the riskiest decile's customers, and reads
one customer's probability and factors in Chinese."""
from __future__ import annotations

import pytest

from segmentation.churn import services
from segmentation.churn.models import ChurnScore
from segmentation.tests import test_history_cut as world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trained(alice, charlie, now):
    spec = world._world_spec(seed=11, customers=120)
    world._load(spec[:100], owner=alice)
    world._load(spec[100:], owner=charlie)
    services.churn_train(as_of=world.CUT, now=now, snapshots=3)


def test_a_lead_reads_the_backtest_and_drills_into_the_riskiest_decile(trained, lena, login_as, live_server,
                                                                       screenshot):
    page = login_as(lena)
    page.goto(f"{live_server.url}/segments/churn/")
    page.wait_for_function("document.documentElement.dataset.chartsReady === '1'")
    assert page.locator("h1").inner_text() == "Churn prediction"
    assert page.locator("canvas[data-churn-chart='churn-roc-data'][data-rendered='1']").count() == 1
    assert page.locator("canvas[data-churn-chart='churn-calibration-data'][data-rendered='1']").count() == 1
    assert page.locator("#churn-deciles tbody tr").count() == 10
    assert page.locator("#churn-train").is_visible()
    screenshot("churn-model-page")

    mine = ChurnScore.objects.for_user(lena).filter(backtest_decile=1)
    page.locator("#churn-deciles a[data-decile='1']").click()
    page.wait_for_load_state()
    assert "churn_decile=1" in page.url
    first = mine.select_related("customer").first()
    assert page.get_by_role("link", name=first.customer.name).first.is_visible()
    screenshot("churn-decile-1-customers")


def test_a_customer_page_explains_the_prediction_in_chinese(trained, lena, login_as, live_server, screenshot):
    score = ChurnScore.objects.for_user(lena).order_by("-probability").first()
    page = login_as(lena, lang="zh-hans")
    page.goto(f"{live_server.url}/customers/{score.customer_id}/")
    panel = page.locator("#churn-panel")
    text = panel.inner_text()
    assert "流失预测" in text and f"{round(score.probability * 100)}%" in text
    assert panel.locator(".churn-factors li").count() == len(score.factors) >= 1
    assert "风险" in text
    screenshot("churn-customer-panel-zh")

    page.goto(f"{live_server.url}/segments/churn/")
    assert page.locator("h1").inner_text() == "流失预测"
    screenshot("churn-model-page-zh")
