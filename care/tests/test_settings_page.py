"""The care settings page: a team lead edits days ahead, greetings, perks and the
holiday calendar; an account manager may not; bad input stays beside its field."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from care.models import CareSettings, Holiday, MembershipPerk

pytestmark = pytest.mark.django_db
URL = reverse("care:settings")


def _settings_post(**overrides):
    data = {"section": "settings", "birthday_days_ahead": "5", "holiday_days_ahead": "2",
            "birthday_greeting": "{name}，生日快乐！{perk}", "referral_points": "800"}
    for level in ("bronze", "silver", "gold", "platinum"):
        data[f"birthday_perk_{level}"] = f"{level} cake"
        data[f"holiday_perk_{level}"] = f"{level} card"
    return {**data, **overrides}


def test_an_account_manager_may_not_open_the_care_settings(client, alice):
    client.force_login(alice)
    assert client.get(URL).status_code == 403
    assert client.post(URL, _settings_post()).status_code == 403
    assert not CareSettings.objects.exists()


def test_the_lead_saves_days_ahead_greeting_and_perks(client, lena):
    client.force_login(lena)
    page = client.get(URL)
    # The gold default, in the reader's language until the lead saves it.
    assert page.status_code == 200 and "A CNY 300 birthday voucher and a gift" in page.content.decode()
    client.cookies["django_language"] = "zh-hans"
    assert "生日专享 300 元代金券及精美礼品" in client.get(URL).content.decode()
    del client.cookies["django_language"]
    assert client.post(URL, _settings_post()).status_code == 302
    saved = CareSettings.objects.get(pk=1)
    assert (saved.birthday_days_ahead, saved.holiday_days_ahead, saved.updated_by) == (5, 2, lena)
    assert saved.referral_points == 800  # the referral bonus (issue #11 item 6) is set on the same page
    assert MembershipPerk.objects.get(membership_level="gold").holiday_perk == "gold card"


def test_a_greeting_with_a_typo_is_refused_beside_its_field_and_nothing_is_saved(client, lena):
    client.force_login(lena)
    response = client.post(URL, _settings_post(birthday_greeting="{nmae}，生日快乐"))
    assert response.status_code == 200
    assert "birthday_greeting" in response.context["form"].errors
    assert not CareSettings.objects.exists() and not MembershipPerk.objects.exists()


def _calendar_post(rows, *, initial=0):
    data = {"section": "holidays", "holidays-TOTAL_FORMS": str(len(rows)), "holidays-INITIAL_FORMS": str(initial),
            "holidays-MIN_NUM_FORMS": "0", "holidays-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"holidays-{i}-{key}"] = value
    return data


def test_the_lead_fills_a_year_with_the_defaults_then_edits_and_deletes_days(client, lena):
    client.force_login(lena)
    client.post(f"{URL}?year=2027", {"section": "defaults"})
    assert Holiday.objects.filter(date__year=2027).count() == 7
    spring, qingming = Holiday.objects.get(name="春节"), Holiday.objects.get(name="清明节")
    rows = [{"id": str(h.pk), "date": h.date.isoformat(), "name": h.name, "greeting": h.greeting}
            for h in Holiday.objects.filter(date__year=2027)]
    for row in rows:
        if row["id"] == str(qingming.pk):
            row["DELETE"] = "on"
        if row["id"] == str(spring.pk):
            row["greeting"] = "{name}，新春快乐！{perk}"
    rows.append({"date": "2027-03-08", "name": "妇女节", "greeting": "{name}，节日快乐"})
    response = client.post(f"{URL}?year=2027", _calendar_post(rows, initial=7))
    assert response.status_code == 302, response.context["formset"].errors
    names = set(Holiday.objects.filter(date__year=2027).values_list("name", flat=True))
    assert "清明节" not in names and "妇女节" in names
    assert Holiday.objects.get(pk=spring.pk).greeting == "{name}，新春快乐！{perk}"


def test_a_day_of_another_year_is_refused_beside_its_date(client, lena):
    client.force_login(lena)
    response = client.post(f"{URL}?year=2027", _calendar_post(
        [{"date": "2028-01-01", "name": "元旦", "greeting": "{name}，新年快乐"}]))
    assert response.status_code == 200
    assert "date" in response.context["formset"].forms[0].errors
    assert not Holiday.objects.exists()
