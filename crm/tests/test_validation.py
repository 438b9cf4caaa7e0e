"""The shared field rules (crm.validation), and that the API and the forms apply
them (the import's use of them is in test_import_engine.py)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm import validation
from crm.forms import ContactForm, CustomerForm, TransactionForm
from crm.models import Customer, Transaction

TODAY = dt.date(2026, 6, 15)


def _msg(fn, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as exc:
        fn(*args, **kwargs)
    return " ".join(exc.value.messages)


# ---------------------------------------------------------------- the rules


@pytest.mark.parametrize("raw, clean", [
    ("+86 138-1234-5678", "13812345678"), ("１３８１２３４５６７８", "13812345678"), ("0086 13812345678", "13812345678"),
    ("010-12345678", "010-12345678"), ("(0571) 8888 1234", "0571-88881234"), ("01012345678", "010-12345678"),
    ("+86 10 1234 5678", "010-12345678"), ("+44 20 7946 0958", "+442079460958"), ("", ""),
])
def test_phone_accepts_mobile_landline_with_area_code_and_e164(raw, clean):
    assert validation.phone_normalize(raw) == clean


@pytest.mark.parametrize("raw", ["12345", "138123456789", "12812345678", "12345678", "+0123", "phone", "010-123"])
def test_phone_refuses_what_is_not_a_number_one_can_dial(raw):
    assert "is not a phone number" in _msg(validation.phone_normalize, raw)


def test_email_uses_djangos_validator_and_is_lower_cased():
    assert validation.email_normalize(" Li@ACME.cn ") == "li@acme.cn"
    assert _msg(validation.email_normalize, "not-an-email") == "“not-an-email” is not a valid e-mail address."


def test_resident_id_needs_18_characters_a_real_birth_date_and_the_gb11643_check_digit():
    assert validation.id_number_normalize("110101199001011237", kind="person") == "110101199001011237"
    assert "check digit" in _msg(validation.id_number_normalize, "110101199001011234", kind="person")
    assert "18 characters" in _msg(validation.id_number_normalize, "1101011990", kind="person")
    assert "birth date" in _msg(validation.id_number_normalize, "110101199002301234", kind="person")


def test_other_documents_are_stored_marked_and_organisations_give_their_credit_code():
    assert validation.id_number_normalize("护照：e1234 5678", kind="person") == "passport:E12345678"
    assert validation.id_number_normalize("passport:E12345678", kind="person") == "passport:E12345678"
    assert "Unknown document type" in _msg(validation.id_number_normalize, "card:123456", kind="person")
    assert validation.id_number_normalize("91310000MA1FL8XQ3U", kind="company") == "91310000MA1FL8XQ3U"
    assert "unified social credit code" in _msg(validation.id_number_normalize, "12345", kind="company")


def test_a_date_that_does_not_exist_is_not_a_valid_date_and_a_wrong_format_says_how_to_write_it():
    assert validation.date_parse("2026年3月1日") == dt.date(2026, 3, 1)
    assert validation.date_parse("2026/03/01") == dt.date(2026, 3, 1)
    assert _msg(validation.date_parse, "1990-02-30") == "“1990-02-30” is not a valid date."
    assert "YYYY-MM-DD" in _msg(validation.date_parse, "yesterday")


def test_dates_in_the_future_compare_with_the_given_today():
    validation.not_in_future(TODAY, today=TODAY)
    assert "in the future" in _msg(validation.not_in_future, TODAY + dt.timedelta(days=1), today=TODAY)


def test_amounts_are_positive_with_two_decimals_and_paid_on_not_before_the_date():
    assert str(validation.amount_parse("¥1,200.5")) == "1200.50"
    assert "greater than 0" in _msg(validation.amount_parse, "0")
    assert "greater than 0" in _msg(validation.amount_parse, "-3")
    assert "at most 2 decimal" in _msg(validation.amount_parse, "1.234")
    assert "cannot be before" in _msg(validation.paid_on_check, occurred_on=TODAY, paid_on=TODAY - dt.timedelta(1))


def test_a_bad_choice_lists_the_valid_ones_and_labels_in_either_language_are_understood():
    msg = _msg(validation.choice_normalize, "vip", choices=Customer.Kind.choices)
    assert msg == "“vip” is not a valid choice. Choose one of: company (Company), person (Person)."
    assert validation.choice_normalize("Person", choices=Customer.Kind.choices) == "person"
    assert validation.choice_normalize("个人", choices=Customer.Kind.choices) == "person"


def test_series_apply_runs_the_same_rule_once_per_distinct_value():
    values, messages = validation.series_apply(pd.Series(["138 1234 5678", "12345", "138 1234 5678", ""]),
                                               validation.phone_normalize)
    assert list(values) == ["13812345678", None, "13812345678", ""]
    assert messages[1].startswith("“12345” is not a phone number") and messages[0] is None


# ---------------------------------------------------------------- through the API


pytestmark = pytest.mark.django_db


def test_api_refuses_an_invalid_email_with_400(alice, api_client_for):
    r = api_client_for(alice).post("/api/v1/customers/", {"name": "Acme", "email": "not-an-email"}, format="json")
    assert r.status_code == 400
    assert r.json()["email"] == ["“not-an-email” is not a valid e-mail address."]
    assert not Customer.objects.exists()


def test_api_normalises_the_phone_and_refuses_12345(alice, api_client_for):
    client = api_client_for(alice)
    assert client.post("/api/v1/customers/", {"name": "A", "phone": "12345"}, format="json").status_code == 400
    r = client.post("/api/v1/customers/", {"name": "B", "phone": "+86 138 1234 5678"}, format="json")
    assert r.status_code == 201 and Customer.objects.get().phone == "13812345678"


def test_api_checks_the_id_number_against_the_customer_kind(alice, api_client_for):
    client = api_client_for(alice)
    r = client.post("/api/v1/customers/", {"name": "Li", "kind": "person", "id_number": "110101199001011234"},
                    format="json")
    assert r.status_code == 400 and "check digit" in r.json()["id_number"][0]
    r = client.post("/api/v1/customers/", {"name": "Li", "kind": "person", "id_number": "110101199001011237"},
                    format="json")
    assert r.status_code == 201


def test_api_says_1990_02_30_is_not_a_valid_date_and_refuses_a_future_birthday(alice, api_client_for):
    client = api_client_for(alice)
    r = client.post("/api/v1/customers/", {"name": "Li", "birthday": "1990-02-30"}, format="json")
    assert r.json()["birthday"] == ["“1990-02-30” is not a valid date."]
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    r = client.post("/api/v1/customers/", {"name": "Li", "birthday": future}, format="json")
    assert r.status_code == 400 and "in the future" in r.json()["birthday"][0]


def test_api_bad_choice_lists_the_valid_ones(alice, api_client_for):
    r = api_client_for(alice).post("/api/v1/customers/", {"name": "Li", "kind": "vip"}, format="json")
    assert r.json()["kind"] == ["“vip” is not a valid choice. Choose one of: company (Company), person (Person)."]


def test_api_transaction_rules_amount_future_and_paid_on(alice, make_customer, api_client_for):
    acme = make_customer(owner=alice)
    client = api_client_for(alice)
    base = {"customer": acme.pk, "kind": "purchase", "amount": "10.00", "occurred_on": "2026-01-10"}
    r = client.post("/api/v1/transactions/", {**base, "amount": "0"}, format="json")
    assert r.status_code == 400 and "greater than 0" in r.json()["amount"][0]
    r = client.post("/api/v1/transactions/", {**base, "occurred_on": "2999-01-01"}, format="json")
    assert "in the future" in r.json()["occurred_on"][0]
    r = client.post("/api/v1/transactions/", {**base, "paid_on": "2026-01-09"}, format="json")
    assert "cannot be before" in r.json()["paid_on"][0]
    assert client.post("/api/v1/transactions/", base, format="json").status_code == 201
    txn = Transaction.objects.get()
    # A partial update is checked against the stored date.
    r = client.patch(f"/api/v1/transactions/{txn.pk}/", {"paid_on": "2026-01-01"}, format="json")
    assert r.status_code == 400 and "cannot be before" in r.json()["paid_on"][0]


def test_api_interaction_cannot_be_in_the_future(alice, make_customer, api_client_for):
    acme = make_customer(owner=alice)
    r = api_client_for(alice).post("/api/v1/interactions/", {
        "customer": acme.pk, "occurred_at": "2999-01-01T10:00:00+08:00", "channel": "phone", "summary": "x"},
        format="json")
    assert r.status_code == 400 and "in the future" in r.json()["occurred_at"][0]


# ---------------------------------------------------------------- through the forms


def test_customer_form_applies_the_same_rules(alice):
    form = CustomerForm({"name": "Li", "kind": "person", "email": "not-an-email", "phone": "12345",
                         "id_number": "110101199001011234", "birthday": "1990-02-30"}, user=alice, today=TODAY)
    assert not form.is_valid()
    assert form.errors["email"] == ["“not-an-email” is not a valid e-mail address."]
    assert "is not a phone number" in form.errors["phone"][0]
    assert "check digit" in form.errors["id_number"][0]
    assert form.errors["birthday"] == ["“1990-02-30” is not a valid date."]
    form = CustomerForm({"name": "Li", "kind": "vip"}, user=alice, today=TODAY)
    assert not form.is_valid()
    assert form.errors["kind"] == ["“vip” is not a valid choice. Choose one of: company (Company), person (Person)."]


def test_customer_form_stores_the_normalised_values_and_refuses_a_future_birthday(alice):
    form = CustomerForm({"name": "Li", "kind": "person", "phone": "+86 138 1234 5678", "email": "LI@X.CN",
                         "birthday": "2026-06-16"}, user=alice, today=TODAY)
    assert not form.is_valid() and "in the future" in form.errors["birthday"][0]
    form = CustomerForm({"name": "Li", "kind": "person", "phone": "+86 138 1234 5678", "email": "LI@X.CN"},
                        user=alice, today=TODAY)
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["phone"], form.cleaned_data["email"]) == ("13812345678", "li@x.cn")


def test_contact_and_transaction_forms_apply_the_same_rules():
    assert "is not a phone number" in ContactForm({"name": "Han", "phone": "12345"}, today=TODAY).errors["phone"][0]
    form = TransactionForm({"kind": "purchase", "amount": "5", "occurred_on": "2026-06-10", "paid_on": "2026-06-01"},
                           today=TODAY)
    assert "cannot be before" in form.errors["paid_on"][0]
    form = TransactionForm({"kind": "purchase", "amount": "5", "occurred_on": "2026-06-16"}, today=TODAY)
    assert "in the future" in form.errors["occurred_on"][0]
    form = TransactionForm({"kind": "gift", "amount": "5", "occurred_on": "2026-06-10"}, today=TODAY)
    assert form.errors["kind"] == ["“gift” is not a valid choice. Choose one of: purchase (Purchase), refund (Refund)."]


def test_the_transaction_page_shows_the_rule_beside_the_field(client, alice, make_customer):
    acme = make_customer(owner=alice)
    client.force_login(alice)
    r = client.post(reverse("transaction-create", args=[acme.pk]),
                    {"kind": "purchase", "amount": "5", "occurred_on": "1990-02-30"})
    assert "“1990-02-30” is not a valid date." in r.content.decode().split('id="field-occurred_on"')[1]
    assert not Transaction.objects.exists()
