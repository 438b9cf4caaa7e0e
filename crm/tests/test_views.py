"""Browser views of customers: scope, masking, forms, the in-place follow-up, exports.

alice and bob manage North, charlie manages South, sam is support, ada is admin."""
from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.models import AuditLog
from crm import selectors, services
from crm.models import Contact, Customer, Interaction, Transaction

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _only_crm_on_the_customer_page(monkeypatch):
    """Other apps' panels and timeline entries are tested by those apps; here the
    registries are emptied so these tests check the page itself."""
    monkeypatch.setattr(selectors, "CUSTOMER_PANELS", [])
    monkeypatch.setattr(selectors, "TIMELINE_SOURCES", [])


@pytest.fixture
def acme(make_customer, alice):
    return make_customer(owner=alice, name="Acme Trading", phone=PHONE, email="li@acme.cn",
                         id_number="110101199001011234", address="北京市朝阳区建国路88号",
                         preferred_channel=Customer.Channel.WECHAT, tags=",VIP,key,", industry="Retail",
                         region="Beijing")


@pytest.fixture
def southwind(make_customer, charlie):
    return make_customer(owner=charlie, name="Southwind Ltd", phone="13900001111")


def client_for(client, user):
    client.force_login(user)
    return client


def detail_url(customer):
    return reverse("customer-detail", args=[customer.pk])


# ---------- scope ----------

@pytest.mark.parametrize("name", ["customer-detail", "customer-edit", "contact-create", "transaction-create",
                                  "interaction-create"])
def test_charlie_gets_404_on_alices_customer_pages(client, charlie, acme, name):
    response = client_for(client, charlie).get(reverse(name, args=[acme.pk]))
    assert response.status_code == 404


def test_charlie_cannot_log_a_follow_up_on_alices_customer(client, charlie, acme):
    response = client_for(client, charlie).post(reverse("interaction-create", args=[acme.pk]),
                                                {"occurred_at": "2026-06-15T10:00", "channel": "phone",
                                                 "summary": "sneaky"})
    assert response.status_code == 404
    assert not Interaction.objects.exists()


def test_the_404_page_is_the_friendly_one(client, charlie, acme):
    response = client_for(client, charlie).get(detail_url(acme))
    assert response.status_code == 404
    assert b'id="not-found"' in response.content
    assert b"Back to customers" in response.content


def test_the_404_page_is_translated(client, charlie, acme):
    client_for(client, charlie).cookies["django_language"] = "zh-hans"
    response = client.get(detail_url(acme))
    assert "页面不存在" in response.content.decode()


def test_the_500_page_stands_alone_and_is_translated(rf):
    from django.utils import translation
    from django.views.defaults import server_error

    with translation.override("zh-hans"):
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "出错了" in response.content.decode()


def test_customer_list_shows_only_the_users_scope(client, charlie, acme, southwind):
    response = client_for(client, charlie).get(reverse("customer-list"))
    body = response.content.decode()
    assert "Southwind Ltd" in body
    assert "Acme Trading" not in body


# ---------- personal data ----------

def test_alice_sees_the_unmasked_phone_and_the_view_is_audited(client, alice, acme):
    Contact.objects.create(customer=acme, name="Li Lei", phone="13700002222", email="lei@acme.cn")
    response = client_for(client, alice).get(detail_url(acme))
    body = response.content.decode()
    assert PHONE in body and "13700002222" in body
    rows = AuditLog.objects.filter(user=alice, action=AuditLog.Action.REVEAL, channel="web")
    assert sorted(rows.values_list("object_type", "object_id")) == [
        ("crm.contact", str(acme.contacts.get().pk)), ("crm.customer", str(acme.pk))]


def test_support_sees_personal_fields_masked_and_no_edit_buttons(client, sam, acme):
    Contact.objects.create(customer=acme, name="Li Lei", phone="13700002222")
    response = client_for(client, sam).get(detail_url(acme))
    body = response.content.decode()
    assert response.status_code == 200
    assert "138****5678" in body and PHONE not in body
    assert "137****2222" in body and "13700002222" not in body
    assert "110101199001011234" not in body
    assert reverse("customer-edit", args=[acme.pk]) not in body
    assert reverse("interaction-create", args=[acme.pk]) not in body
    assert not AuditLog.objects.exists()


def test_support_cannot_open_the_edit_or_create_forms(client, sam, acme):
    client_for(client, sam)
    assert client.get(reverse("customer-edit", args=[acme.pk])).status_code == 404
    assert client.post(reverse("customer-edit", args=[acme.pk]), {"name": "X"}).status_code == 404
    assert client.get(reverse("customer-create")).status_code == 403
    assert client.post(reverse("interaction-create", args=[acme.pk]), {"summary": "x"}).status_code == 404


def test_support_does_not_see_money_in_the_timeline(client, sam, acme, now):
    Transaction.objects.create(customer=acme, amount="9999.00", occurred_on=now.date())
    body = client_for(client, sam).get(detail_url(acme)).content.decode()
    assert "9,999.00" not in body and "9999.00" not in body


def test_the_list_never_shows_personal_fields(client, alice, acme):
    body = client_for(client, alice).get(reverse("customer-list")).content.decode()
    assert "Acme Trading" in body
    assert PHONE not in body and "li@acme.cn" not in body and "建国路" not in body


# ---------- list: search, filter, sort, page, query count ----------

def test_list_searches_name_and_external_id_and_filters_by_tag(client, alice, make_customer):
    make_customer(owner=alice, name="Blue Ocean", external_id="ERP-7", tags=",VIP,")
    make_customer(owner=alice, name="Red Hill", tags=",trial,")
    client_for(client, alice)

    def names(**params):
        page = client.get(reverse("customer-list"), params).context["page"]
        return [c.name for c in page]

    assert names(q="ocean") == ["Blue Ocean"]
    assert names(q="ERP-7") == ["Blue Ocean"]
    assert names(tag="trial") == ["Red Hill"]
    assert names(sort="name") == ["Blue Ocean", "Red Hill"]
    assert names(sort="-name") == ["Red Hill", "Blue Ocean"]


def test_customers_without_a_first_deal_sort_last_both_ways(client, alice, make_customer, now):
    make_customer(owner=alice, name="Never bought")
    make_customer(owner=alice, name="Old", first_deal_date=now.date().replace(year=2020))
    make_customer(owner=alice, name="Recent", first_deal_date=now.date())
    client_for(client, alice)

    def names(sort):
        return [c.name for c in client.get(reverse("customer-list"), {"sort": sort}).context["page"]]

    assert names("first_deal") == ["Old", "Recent", "Never bought"]
    assert names("-first_deal") == ["Recent", "Old", "Never bought"]


def test_clicking_the_current_sort_header_flips_it(client, alice, acme):
    client_for(client, alice)
    links = client.get(reverse("customer-list"), {"sort": "name"}).context["sort_links"]
    assert links["name"] == {"sort": "-name", "direction": "asc"}
    assert links["created"] == {"sort": "-created", "direction": ""}
    links = client.get(reverse("customer-list"), {"sort": "-name"}).context["sort_links"]
    assert links["name"] == {"sort": "name", "direction": "desc"}


def test_list_owner_filter_offers_only_the_team(client, alice, bob, charlie):
    form = client_for(client, alice).get(reverse("customer-list")).context["form"]
    assert set(form.fields["owner"].queryset) == {alice, bob}
    assert "team" not in form.fields


def test_admin_filters_by_team_and_sees_every_owner(client, ada, alice, charlie, acme, southwind, south):
    response = client_for(client, ada).get(reverse("customer-list"), {"team": south.pk})
    assert [c.name for c in response.context["page"]] == ["Southwind Ltd"]
    assert {alice, charlie} <= set(response.context["form"].fields["owner"].queryset)


def test_a_bad_filter_value_is_ignored_not_fatal(client, alice, acme):
    response = client_for(client, alice).get(reverse("customer-list"), {"owner": "abc", "sort": "evil", "page": "x"})
    assert response.status_code == 200
    assert [c.name for c in response.context["page"]] == ["Acme Trading"]


def test_list_is_paged_by_25(client, alice, make_customer):
    for i in range(30):
        make_customer(owner=alice, name=f"C{i:02d}")
    client_for(client, alice)
    response = client.get(reverse("customer-list"), {"sort": "name"})
    first = response.context["page"]
    second = client.get(reverse("customer-list"), {"sort": "name", "after": first.next_cursor}).context["page"]
    assert len(first) == 25 and len(second) == 5 and not second.has_next
    assert [c.name for c in second] == [f"C{i:02d}" for i in range(25, 30)]
    assert response.context["count"] == 30 and "Page 1 of 2" in response.content.decode()
    back = client.get(reverse("customer-list"), {"sort": "name", "before": second.previous_cursor}).context["page"]
    assert [c.pk for c in back] == [c.pk for c in first] and back.number == 1


def test_a_huge_list_is_counted_only_up_to_the_cap(client, alice, make_customer, monkeypatch):
    from crm import views

    monkeypatch.setattr(views, "COUNT_CAP", 3)
    for i in range(5):
        make_customer(owner=alice, name=f"C{i}")
    response = client_for(client, alice).get(reverse("customer-list"))
    assert response.context["count_capped"] is True
    assert "More than 3 customers" in response.content.decode()


def test_list_query_count_does_not_grow_with_rows(client, alice, bob, make_customer,
                                                  django_assert_max_num_queries):
    for i in range(40):
        make_customer(owner=alice if i % 2 else bob, name=f"C{i:02d}", tags=",VIP,")
    client_for(client, alice)
    # session, user, unread notifications, owner choices, COUNT, page (+ savepoints on some backends)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("customer-list"), {"tag": "VIP", "sort": "-created"})
    assert len(response.context["page"]) == 25


def _segment(customer, *, tier, health, now):
    from segmentation.models import CustomerSegment

    return CustomerSegment.objects.create(customer=customer, as_of=now.date(), tier=tier, tier_reason="",
                                          rfm_segment="loyal", value_tier="high", membership_level="gold",
                                          health_score=health, next_contact_due=now.date(), computed_at=now)


def test_list_shows_tier_and_health_and_filters_by_tier(client, alice, make_customer, now):
    risky = make_customer(owner=alice, name="Risky Co")
    loyal = make_customer(owner=alice, name="Loyal Co")
    make_customer(owner=alice, name="Unscored Co")
    _segment(risky, tier="churn_risk", health=31, now=now)
    _segment(loyal, tier="high_value", health=88, now=now)
    client_for(client, alice)
    response = client.get(reverse("customer-list"), {"tier": "churn_risk"})
    assert [c.name for c in response.context["page"]] == ["Risky Co"]
    body = response.content.decode()
    assert "badge-danger" in body and "Churn risk" in body and ">31<" in body
    body = client.get(reverse("customer-list")).content.decode()
    assert "High value" in body and ">88<" in body


def test_list_with_segments_does_not_query_per_row(client, alice, make_customer, now,
                                                   django_assert_max_num_queries):
    for i in range(30):
        _segment(make_customer(owner=alice, name=f"S{i:02d}"), tier="potential", health=50 + i, now=now)
    client_for(client, alice)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("customer-list"))
    assert "Potential" in response.content.decode()


# ---------- create / edit ----------

def test_alice_creates_a_customer_with_tags(client, alice):
    response = client_for(client, alice).post(reverse("customer-create"), {
        "name": "Green Leaf", "kind": "company", "owner": alice.pk, "tags": "VIP， new , VIP", "phone": PHONE,
    })
    customer = Customer.objects.get(name="Green Leaf")
    assert response.status_code == 302 and response["Location"] == detail_url(customer)
    assert customer.tag_list == ["VIP", "new"]
    assert customer.team == alice.team and customer.phone == PHONE


def test_form_errors_are_shown_beside_the_fields_and_nothing_is_written(client, alice, acme):
    response = client_for(client, alice).post(reverse("customer-edit", args=[acme.pk]), {
        "name": "", "kind": "company", "owner": alice.pk, "email": "not-an-email",
    })
    assert response.status_code == 200
    body = response.content.decode()
    email_block = body.split('id="field-email"')[1].split('id="field-')[0]
    assert "“not-an-email” is not a valid e-mail address." in email_block
    name_block = body.split('id="field-name"')[1].split('id="field-')[0]
    assert "This field is required." in name_block
    acme.refresh_from_db()
    assert acme.name == "Acme Trading" and acme.email == "li@acme.cn"


def test_alice_cannot_hand_a_customer_to_charlie(client, alice, charlie, acme):
    response = client_for(client, alice).post(reverse("customer-edit", args=[acme.pk]), {
        "name": "Acme Trading", "kind": "company", "owner": charlie.pk,
    })
    body = response.content.decode()
    assert "Select a valid choice" in body.split('id="field-owner"')[1].split('id="field-')[0]
    acme.refresh_from_db()
    assert acme.owner == alice


def test_a_service_error_appears_beside_its_field(client, alice, acme, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError({"region": ["Region is closed."], "__all__": ["Whole thing is off."]})

    monkeypatch.setattr(services, "customer_update", refuse)
    response = client_for(client, alice).post(reverse("customer-edit", args=[acme.pk]), {
        "name": "Acme Trading", "kind": "company", "owner": alice.pk, "region": "Mars",
    })
    body = response.content.decode()
    assert "Region is closed." in body.split('id="field-region"')[1].split('id="field-')[0]
    assert "Whole thing is off." in body.split('role="alert"')[1].split("</div>")[0]


def test_a_duplicate_external_id_is_refused_and_nothing_is_written(client, alice, make_customer):
    make_customer(owner=alice, name="First", external_id="ERP-1")
    response = client_for(client, alice).post(reverse("customer-create"), {
        "name": "Second", "kind": "company", "owner": alice.pk, "external_id": "ERP-1",
    })
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not Customer.objects.filter(name="Second").exists()


def test_edit_saves_only_changed_fields_and_keeps_tags(client, alice, bob, acme):
    response = client_for(client, alice).post(reverse("customer-edit", args=[acme.pk]), {
        "name": "Acme Trading Co.", "kind": "company", "owner": bob.pk, "tags": "VIP, key",
        "phone": PHONE, "email": "li@acme.cn", "id_number": acme.id_number, "address": acme.address,
        "industry": "Retail", "region": "Beijing", "preferred_channel": "wechat",
    })
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.name == "Acme Trading Co." and acme.owner == bob and acme.tag_list == ["VIP", "key"]


def test_alice_adds_a_contact_and_a_transaction(client, alice, acme):
    client_for(client, alice)
    client.post(reverse("contact-create", args=[acme.pk]), {"name": "Han Mei", "phone": "13600003333",
                                                            "is_primary": "on"})
    client.post(reverse("transaction-create", args=[acme.pk]), {"kind": "purchase", "amount": "1200.50",
                                                                "occurred_on": "2026-06-01"})
    assert acme.contacts.get().is_primary
    assert str(acme.transactions.get().amount) == "1200.50"


def test_a_negative_amount_is_refused_beside_the_field(client, alice, acme):
    response = client_for(client, alice).post(reverse("transaction-create", args=[acme.pk]), {
        "kind": "purchase", "amount": "-5", "occurred_on": "2026-06-01"})
    body = response.content.decode()
    assert "The amount must be greater than 0" in body.split('id="field-amount"')[1].split('id="field-')[0]
    assert not Transaction.objects.exists()


# ---------- the in-place follow-up ----------

def test_the_follow_up_form_defaults_to_the_preferred_channel(client, alice, acme):
    response = client_for(client, alice).get(reverse("interaction-create", args=[acme.pk]), HTTP_HX_REQUEST="true")
    assert response.templates[0].name == "crm/_interaction_form.html"
    assert response.context["form"]["channel"].value() == "wechat"
    assert 'hx-post="' in response.content.decode()


def test_a_follow_up_logged_with_htmx_returns_the_updated_timeline(client, alice, acme):
    response = client_for(client, alice).post(reverse("interaction-create", args=[acme.pk]), {
        "occurred_at": "2026-06-15T10:00", "channel": "wechat", "summary": "Asked about renewal terms",
    }, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<div id="timeline" hx-swap-oob="true">' in body
    assert "Asked about renewal terms" in body.split('id="timeline"')[1]
    interaction = Interaction.objects.get()
    assert interaction.customer == acme and interaction.staff == alice


@pytest.mark.parametrize("occurred_at, summary, field, message", [
    ("2026-06-15T10:00", "", "summary", "This field is required."),
    ("2099-01-01T10:00", "Time travel", "occurred_at", "in the future"),  # never logged in the future
])
def test_an_invalid_follow_up_shows_the_error_beside_the_field_and_writes_nothing(client, alice, acme, occurred_at,
                                                                                  summary, field, message):
    response = client_for(client, alice).post(reverse("interaction-create", args=[acme.pk]), {
        "occurred_at": occurred_at, "channel": "phone", "summary": summary,
    }, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert message in body.split(f'id="field-{field}"')[1].split('id="field-')[0]
    assert not Interaction.objects.exists()


def test_the_follow_up_form_works_without_javascript(client, alice, acme, now, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)  # the dates below are around 2026-06-15
    client_for(client, alice)
    page = client.get(reverse("interaction-create", args=[acme.pk]))
    assert page.templates[0].name == "crm/interaction_form_page.html"
    assert "hx-post" not in page.content.decode()
    response = client.post(reverse("interaction-create", args=[acme.pk]), {
        "occurred_at": "2026-06-15T10:00", "channel": "phone", "summary": "Called, all fine",
        "next_action": "Send the quote", "next_action_due": "2026-06-20",
    })
    assert response.status_code == 302 and response["Location"] == detail_url(acme)
    assert "Called, all fine" in client.get(detail_url(acme)).content.decode()
    assert acme.followups.get().reason == "Send the quote"


# ---------- panels and timeline entries from other apps ----------

def test_panels_and_foreign_timeline_entries_are_rendered(client, alice, acme, now, settings, tmp_path,
                                                          monkeypatch):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "_panel.html").write_text('<section class="card">Panel says {{ word }} for {{ customer.name }}'
                                                '</section>')
    (tmp_path / "x" / "_entry.html").write_text("<li>Ticket {{ entry.obj }}</li>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}]
    monkeypatch.setattr(selectors, "CUSTOMER_PANELS", [
        lambda *, request, customer: {"template": "x/_panel.html", "context": {"word": "hello"}, "order": 1},
        lambda *, request, customer: None,
    ])
    monkeypatch.setattr(selectors, "TIMELINE_SOURCES", [
        lambda *, customer, limit: [{"at": now, "kind": "ticket", "obj": "T-42", "template": "x/_entry.html"}],
    ])
    body = client_for(client, alice).get(detail_url(acme)).content.decode()
    assert "Panel says hello for Acme Trading" in body
    assert "<li>Ticket T-42</li>" in body


# ---------- export ----------

def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_export_contains_only_scoped_customers(client, charlie, acme, southwind):
    rows = _csv_rows(client_for(client, charlie).get(reverse("customer-export-csv")))
    names = [r[2] for r in rows[1:]]
    assert names == ["Southwind Ltd"]


def test_export_follows_the_list_filters(client, alice, acme, make_customer):
    make_customer(owner=alice, name="Other Co")
    rows = _csv_rows(client_for(client, alice).get(reverse("customer-export-csv"), {"q": "acme"}))
    assert [r[2] for r in rows[1:]] == ["Acme Trading"]


def test_export_masks_personal_fields_for_support(client, sam, acme):
    rows = _csv_rows(client_for(client, sam).get(reverse("customer-export-csv")))
    row = rows[1]
    assert "138****5678" in row and PHONE not in row
    assert not AuditLog.objects.filter(action=AuditLog.Action.REVEAL).exists()
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT, user=sam).count() == 1


def test_an_unmasked_export_is_audited_chunk_by_chunk_one_row_per_customer(client, alice, acme, make_customer,
                                                                          monkeypatch):
    from crm import exports

    calls = []
    real = exports.audit_reveal_record

    def spy(**kwargs):
        calls.append(list(kwargs["object_ids"]))
        return real(**kwargs)

    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    monkeypatch.setattr(exports, "audit_reveal_record", spy)
    for i in range(4):
        make_customer(owner=alice, name=f"Extra {i}", phone=f"1380000000{i}")
    rows = _csv_rows(client_for(client, alice).get(reverse("customer-export-csv")))
    assert len(rows) == 1 + 5
    assert [r for r in rows if r[2] == "Acme Trading"][0][12] == PHONE
    assert [len(c) for c in calls] == [2, 2, 1]
    reveals = AuditLog.objects.filter(action=AuditLog.Action.REVEAL, channel="export", user=alice)
    assert sorted(int(i) for i in reveals.values_list("object_id", flat=True)) == sorted(
        Customer.objects.values_list("pk", flat=True))
    export = AuditLog.objects.get(action=AuditLog.Action.EXPORT, user=alice)
    assert export.object_id == "5"


def test_export_has_tier_and_health_columns(client, alice, acme, now):
    _segment(acme, tier="high_value", health=77, now=now)
    rows = _csv_rows(client_for(client, alice).get(reverse("customer-export-csv")))
    assert rows[0][-2:] == ["Tier", "Health score"]
    assert rows[1][-2:] == ["High value", "77"]


def test_export_neutralises_spreadsheet_formulas(client, alice, make_customer):
    make_customer(owner=alice, name="=HYPERLINK(\"http://evil\")", phone="+86 138 1234 5678")
    rows = _csv_rows(client_for(client, alice).get(reverse("customer-export-csv")))
    assert rows[1][2].startswith("'=")
    # A leading + starts a formula too (+86-138… would be computed); the apostrophe keeps the digits.
    assert "'+86 138 1234 5678" in rows[1]


def test_xlsx_export_is_scoped_and_masked_for_support(client, sam, charlie, acme, southwind):
    from openpyxl import load_workbook

    response = client_for(client, sam).get(reverse("customer-export-xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert {r[2] for r in values[1:]} == {"Acme Trading", "Southwind Ltd"}
    assert any("138****5678" in r for r in values[1:])

    client.force_login(charlie)
    response = client.get(reverse("customer-export-xlsx"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [r[2] for r in list(sheet.iter_rows(values_only=True))[1:]] == ["Southwind Ltd"]


# ---------- language ----------

def test_the_customer_pages_are_translated(client, alice, acme):
    client_for(client, alice).cookies["django_language"] = "zh-hans"
    body = client.get(reverse("customer-list")).content.decode()
    assert "新建客户" in body and "导出" in body
    body = client.get(detail_url(acme)).content.decode()
    assert "记录回访" in body and "时间线" in body


@pytest.mark.parametrize("first, last, shown", [("丽", "王", "王丽"), ("Alice", "Archer", "Alice Archer"),
                                                ("", "", "alice")])
def test_a_user_is_shown_by_name_family_name_first_in_chinese(alice, first, last, shown):
    alice.first_name, alice.last_name = first, last
    assert str(alice) == shown


def test_a_next_action_due_in_the_past_is_refused_beside_the_field(client, alice, acme):
    from django.utils import timezone

    today = timezone.localdate()
    response = client_for(client, alice).post(reverse("interaction-create", args=[acme.pk]), {
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "channel": "phone", "summary": "Called",
        "next_action": "Send the offer", "next_action_due": "2020-01-01",
    }, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert "cannot be due in the past" in body.split('id="field-next_action_due"')[1].split('id="field-')[0]
    assert not Interaction.objects.exists()
    assert today.isoformat() > "2020-01-01"


def test_the_customer_list_finds_part_of_an_external_id(client, alice, make_customer):
    make_customer(owner=alice, name="Imported Co", external_id="IMP-00042")
    html = client_for(client, alice).get(reverse("customer-list") + "?q=IMP").content.decode()
    assert "Imported Co" in html


def test_customer_page_counts_unread_notifications_once_and_audits_in_one_insert(client, ada, make_customer, now):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    customer = make_customer(owner=ada, name="Revealed Co", phone="13800001111", email="a@b.cn")
    Contact.objects.create(customer=customer, name="Li Lei", phone="13700002222", email="lei@acme.cn")
    _segment(customer, tier="high_value", health=80, now=now)  # the segmentation panel is rendered too
    client_for(client, ada)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("customer-detail", args=[customer.pk])).status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum('"core_notification"' in q and "COUNT(" in q.upper() for q in sql) == 1
    assert sum(q.lstrip().upper().startswith('INSERT INTO "CORE_AUDITLOG"') for q in sql) == 1
    assert set(AuditLog.objects.values_list("object_type", flat=True)) == {"crm.customer", "crm.contact"}
