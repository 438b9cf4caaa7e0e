import pytest

from surveys.demo import demo_generate
from surveys.models import SurveyDailySnapshot, SurveyResponse

pytestmark = pytest.mark.django_db


def test_demo_generates_answers_with_a_realistic_spread_and_snapshots(make_customer, alice, now):
    for i in range(120):
        make_customer(owner=alice, name=f"Demo {i}", source="demo", external_id=f"d{i}")
    summary = demo_generate(seed=7, now=now)
    assert "/s/" in summary
    nps = list(SurveyResponse.objects.values_list("nps", flat=True))
    assert len(nps) > 50
    promoters = sum(n >= 9 for n in nps) / len(nps)
    detractors = sum(n <= 6 for n in nps) / len(nps)
    assert 0.25 < promoters < 0.65 and 0.1 < detractors < 0.4
    assert SurveyDailySnapshot.objects.exists()
