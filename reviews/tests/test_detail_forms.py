"""The forms posted from a report's page: saved and back to the page, or the page
again with the error beside the field (400), nothing written."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import ReviewAction, ReviewFinding

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def review(lena, now):
    return services.review_create(user=lena, title="May", period_start=D(2026, 5, 1), period_end=D(2026, 5, 31),
                                  scope_kind="team", targets=[{"metric": "repurchase_rate", "target": 40}], now=now)


def test_a_finding_without_a_title_is_a_field_error_and_writes_nothing(lena, review, client):
    client.force_login(lena)
    response = client.post(reverse("reviews:finding-add", args=[review.pk]),
                           {"finding-kind": "problem", "finding-title": ""})
    assert response.status_code == 400
    assert response.context["finding_form"].errors["title"]
    assert not ReviewFinding.objects.exists()


def test_a_finding_is_saved_and_the_page_shown_again(lena, review, client):
    client.force_login(lena)
    response = client.post(reverse("reviews:finding-add", args=[review.pk]),
                           {"finding-kind": "problem", "finding-title": "Late"})
    assert response.status_code == 302 and response["Location"] == reverse("reviews:detail", args=[review.pk])
    assert list(ReviewFinding.objects.values_list("title", flat=True)) == ["Late"]


def test_an_action_owned_by_another_team_is_refused_beside_the_owner(lena, charlie, review, client):
    client.force_login(lena)
    response = client.post(reverse("reviews:action-add", args=[review.pk]),
                           {"action-title": "Call back", "action-owner": charlie.pk, "action-deadline": "2026-07-01"})
    assert response.status_code == 400
    assert response.context["action_form"].errors["owner"]
    assert not ReviewAction.objects.exists()


def test_an_action_is_created_with_its_message(lena, alice, review, client):
    client.force_login(lena)
    response = client.post(reverse("reviews:action-add", args=[review.pk]),
                           {"action-title": "Call back", "action-owner": alice.pk,
                            "action-deadline": "2026-07-01"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("reviews:detail", args=[review.pk])
    assert ReviewAction.objects.get().owner == alice
    assert any("task list" in str(m) or "任务" in str(m) for m in response.context["messages"])
