"""The theme dictionary is edited by leads (their team's entries) and admins (every
entry, the global ones too); bad input is an error beside its field."""
from __future__ import annotations

import pytest
from django.urls import reverse

from feedback.models import ThemeEntry

pytestmark = pytest.mark.django_db
URL = reverse("feedback:dictionary")


def post(client, url=URL, **data):
    base = {"team": "", "name_zh": "包装", "name_en": "Packaging", "keywords_zh": "包装", "keywords_en": "box",
            "is_active": "on"}
    return client.post(url, {**base, **data})


def test_a_lead_adds_an_entry_for_their_team_only(client, lena, north, south):
    client.force_login(lena)
    assert post(client, team=north.pk).status_code == 302
    assert ThemeEntry.objects.get(name_zh="包装").team == north
    refused = post(client, team=south.pk, name_zh="别的")
    assert refused.status_code == 400 and "team" in refused.context["form"].errors
    refused = post(client, team="", name_zh="全局")  # the entries of every team are an admin's
    assert refused.status_code == 400 and "team" in refused.context["form"].errors
    assert not ThemeEntry.objects.filter(name_zh__in=["别的", "全局"]).exists()


def test_a_lead_cannot_edit_a_global_or_another_teams_entry(client, lena, south, now):
    client.force_login(lena)
    global_entry = ThemeEntry.objects.filter(team=None).first()
    theirs = ThemeEntry.objects.create(team=south, name_zh="南", name_en="S", keywords_zh="南", updated_at=now)
    for entry in (global_entry, theirs):
        url = reverse("feedback:dictionary-entry", kwargs={"pk": entry.pk})
        assert client.get(url).status_code == 404
        assert post(client, url, name_zh="改").status_code == 404
        assert client.post(reverse("feedback:dictionary-entry-delete", kwargs={"pk": entry.pk})).status_code == 404
    assert ThemeEntry.objects.filter(pk__in=[global_entry.pk, theirs.pk]).count() == 2


def test_an_admin_edits_a_global_entry_and_errors_stand_beside_their_field(client, ada):
    client.force_login(ada)
    entry = ThemeEntry.objects.get(team=None, name_en="Price")
    url = reverse("feedback:dictionary-entry", kwargs={"pk": entry.pk})
    bad = post(client, url, name_zh="价格", name_en="Price", keywords_zh="", keywords_en="")
    assert bad.status_code == 400 and "keywords_zh" in bad.context["form"].errors
    clash = post(client, url, name_zh="发票问题", name_en="Price")
    assert clash.status_code == 400 and "name_zh" in clash.context["form"].errors
    assert post(client, url, name_zh="价格", name_en="Prices", keywords_zh="价格,贵").status_code == 302
    entry.refresh_from_db()
    assert (entry.team, entry.name_en, entry.keywords_zh) == (None, "Prices", "价格,贵")


def test_managers_and_support_have_no_dictionary(client, alice, sam):
    for user in (alice, sam):
        client.force_login(user)
        assert client.get(URL).status_code == 404
