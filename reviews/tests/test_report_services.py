"""reviews.services.reports called directly: a report's change is all or nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from reviews import services
from reviews.models import Review

pytestmark = pytest.mark.django_db
D = dt.date


def _review(lena, now, **kwargs):
    return services.review_create(user=lena, title="May", period_start=D(2026, 5, 1), period_end=D(2026, 5, 31),
                                  scope_kind="team", targets=[{"metric": "repurchase_rate", "target": 40}], now=now,
                                  **kwargs)


def test_create_with_findings_stores_them_by_kind(lena, now):
    """Rule: the findings given with a new report are stored under their kind, in order."""
    review = _review(lena, now, findings={"problem": [{"title": "Late", "cause": "Slow"}, {"title": "Lost"}]})
    assert [(f.kind, f.title, f.cause, f.position) for f in review.findings.order_by("position")] == [
        ("problem", "Late", "Slow", 0), ("problem", "Lost", "", 1)]


def test_create_with_a_bad_finding_writes_no_report(lena, now):
    """Rule: a finding without a title refuses the whole report (no report without its findings)."""
    with pytest.raises(ValidationError) as exc:
        _review(lena, now, findings={"strength": [{"title": ""}]})
    assert "title" in exc.value.message_dict
    assert not Review.objects.exists()


def test_update_replaces_the_findings_of_the_kinds_it_names(lena, now):
    """Rule: findings of a kind given replace that kind's; a kind not given stays."""
    review = _review(lena, now, findings={"strength": [{"title": "Fast"}], "problem": [{"title": "Late"}]})
    services.review_update(review=review, findings={"problem": [{"title": "Lost"}]}, now=now)
    assert sorted(review.findings.values_list("kind", "title")) == [("problem", "Lost"), ("strength", "Fast")]


def test_update_with_a_bad_finding_changes_nothing(lena, now):
    """Rule: all or nothing: status, targets and findings stay as they were when one part is refused."""
    review = _review(lena, now, findings={"problem": [{"title": "Late"}]})
    with pytest.raises(ValidationError):
        services.review_update(review=review, status="final", targets=[{"metric": "churn_rate", "target": 5}],
                               findings={"problem": [{"title": ""}]}, now=now)
    review = Review.objects.get(pk=review.pk)
    assert review.status != Review.Status.FINAL
    assert list(review.metric_rows.values_list("metric", flat=True)) == ["repurchase_rate"]
    assert list(review.findings.values_list("title", flat=True)) == ["Late"]
