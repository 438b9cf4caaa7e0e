"""The set-based import engine: the shared rules through the import, ownership,
duplicates, one query per referenced table, and the write (COPY on PostgreSQL,
bulk_create elsewhere) all-or-nothing."""
from __future__ import annotations

import datetime as dt

import pytest

from crm.importing import engine, reading, specs, writing
from crm.models import Contact, Customer, FollowUp, Interaction, Transaction

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.timezone.utc)


def validate(actor, entity: str, text: str, mapping: dict | None = None, team_id="mine", **kw):
    content = text.encode("utf-8")
    headers, _rows = reading.read_headers(content=content, filename="f.csv")
    return engine.import_validate(actor=actor, entity=entity, content=content, filename="f.csv",
                                  mapping=mapping or specs.auto_mapping(headers, entity), today=TODAY, now=NOW,
                                  default_team_id=actor.team_id if team_id == "mine" else team_id, **kw)


def errors(v) -> dict[tuple[int, str], str]:
    return {(r["row"], r["field"]): r["message"] for r in v.errors.to_dict("records")}


def commit(actor, entity, text, **kw):
    v = validate(actor, entity, text, **kw)
    assert v.ok, errors(v)
    writing.write_stage(stage=v.stage)
    return v


# ---------------------------------------------------------------- the shared rules, through the import


def test_the_import_applies_the_same_field_rules_as_the_api_and_the_forms(alice):
    v = validate(alice, "customers", "name,kind,email,phone,id_number,birthday\n"
                 "A,person,not-an-email,12345,110101199001011234,1990-02-30\n"
                 "B,vip,,,,2026-06-16\n")
    e = errors(v)
    assert e[(2, "email")] == "“not-an-email” is not a valid e-mail address."
    assert e[(2, "phone")].startswith("“12345” is not a phone number.")
    assert "check digit" in e[(2, "id_number")]
    assert e[(2, "birthday")] == "“1990-02-30” is not a valid date."
    assert e[(3, "kind")] == "“vip” is not a valid choice. Choose one of: company (Company), person (Person)."
    assert "in the future" in e[(3, "birthday")]
    assert v.summary()["errors"] == 2


def test_transaction_rules_positive_amount_not_in_future_paid_on_not_before(alice, make_customer):
    make_customer(owner=alice, external_id="A1")
    v = validate(alice, "transactions", 'customer_external_id,amount,occurred_on,paid_on\n'
                 'A1,0,2026-06-01,\nA1,10,2026-06-16,\nA1,10,2026-06-10,2026-06-09\nA1,"¥1,200.5",2026-06-10,\n')
    e = errors(v)
    assert "greater than 0" in e[(2, "amount")]
    assert "in the future" in e[(3, "occurred_on")]
    assert "cannot be before" in e[(4, "paid_on")]
    assert (5, "amount") not in e and v.summary()["errors"] == 3


def test_interactions_in_the_future_are_refused(alice, make_customer):
    make_customer(owner=alice, external_id="A1")
    v = validate(alice, "interactions", "customer_external_id,occurred_at,summary\nA1,2026-06-20 10:00,x\n")
    assert "in the future" in errors(v)[(2, "occurred_at")]


# ---------------------------------------------------------------- ownership


def test_without_owner_and_team_columns_customers_go_to_the_importer_and_their_team(alice):
    commit(alice, "customers", "name\nAcme\n")
    c = Customer.objects.get()
    assert (c.owner, c.team) == (alice, alice.team)


def test_owner_and_team_columns_name_a_user_and_a_team(alice, bob, north, lena):
    commit(alice, "customers", "name,owner,team\nAcme,bob,North\nBeta,lena,\n")
    assert Customer.objects.get(name="Acme").owner == bob
    assert Customer.objects.get(name="Beta").team == north  # the owner's team


def test_a_manager_naming_another_teams_owner_or_team_gets_a_row_error(alice, charlie, south):
    v = validate(alice, "customers", "name,owner,team\nA,charlie,\nB,,South\nC,nobody,\nD,,Nowhere\n")
    e = errors(v)
    assert e[(2, "owner")] == "You can only assign customers to members of your team."
    assert e[(3, "team")] == "You can only put customers in your own team."
    assert "nobody" in e[(4, "owner")] and "Nowhere" in e[(5, "team")]


def test_an_admin_may_name_any_owner_and_team_and_picks_the_team_of_the_rest(ada, charlie, south, north):
    commit(ada, "customers", "name,owner\nA,charlie\nB,\n", team_id=north.pk)
    assert (Customer.objects.get(name="A").owner, Customer.objects.get(name="A").team) == (charlie, south)
    assert (Customer.objects.get(name="B").owner, Customer.objects.get(name="B").team) == (ada, north)


def test_a_customer_of_another_team_cannot_be_updated_by_external_id(alice, charlie, make_customer):
    make_customer(owner=charlie, name="Theirs", external_id="C1")
    v = validate(alice, "customers", "name,external_id\nTaken over,C1\n")
    assert "cannot edit" in errors(v)[(2, "external_id")]
    assert Customer.objects.get().name == "Theirs"


def test_the_importing_team_managers_see_imported_customers(alice, bob, api_client_for):
    commit(alice, "customers", "name,external_id\nAcme,E1\n")
    assert api_client_for(bob).get(f"/api/v1/customers/{Customer.objects.get().pk}/").status_code == 200


# ---------------------------------------------------------------- duplicates, queries, writing


def test_the_same_external_id_twice_with_other_values_is_an_error_across_chunks(alice):
    v = validate(alice, "customers", "name,external_id\nA,E1\nB,E2\nA,E1\nC,E1\n", chunk_rows=2)
    assert errors(v) == {(5, "external_id"): "Same external ID as row 2, with other values."}
    assert v.summary() == {"created": 2, "updated": 0, "unchanged": 1, "errors": 1}


def test_validation_queries_do_not_grow_with_the_rows(alice, make_customer, django_assert_max_num_queries):
    for i in range(3):
        make_customer(owner=alice, name=f"C{i}", external_id=f"C{i}")
    small = "customer_external_id,external_id,amount,occurred_on\nC0,T0,5,2026-01-01\n"
    big = "customer_external_id,external_id,amount,occurred_on\n" + "".join(
        f"C{i % 3},T{i},5,2026-01-01\n" for i in range(2000))
    with django_assert_max_num_queries(3):  # customers by external ID, stored transactions, (savepoint-free)
        assert validate(alice, "transactions", small).ok
    with django_assert_max_num_queries(3):
        v = validate(alice, "transactions", big)
    assert v.ok and v.summary()["created"] == 2000


def test_transactions_upsert_by_source_and_external_id(alice, make_customer):
    make_customer(owner=alice, external_id="A1")
    commit(alice, "transactions", "customer_external_id,source,external_id,amount,occurred_on\n"
           "A1,erp,T1,5,2026-01-01\nA1,erp,T2,6,2026-01-02\n")
    v = commit(alice, "transactions", "customer_external_id,source,external_id,amount,occurred_on\n"
               "A1,erp,T1,7,2026-01-01\nA1,erp,T2,6,2026-01-02\nA1,other,T1,8,2026-01-03\n")
    assert v.summary() == {"created": 1, "updated": 1, "unchanged": 1, "errors": 0}
    assert sorted(Transaction.objects.values_list("source", "external_id", "amount")) == [
        ("erp", "T1", 7), ("erp", "T2", 6), ("other", "T1", 8)]


def test_a_stage_whose_record_appeared_meanwhile_writes_nothing(alice, make_customer):
    v = validate(alice, "customers", "name,external_id\nA,E1\nB,E2\n")
    make_customer(owner=alice, name="Created meanwhile", external_id="E2")
    with pytest.raises(writing.StaleStage):
        writing.write_stage(stage=v.stage)
    assert list(Customer.objects.values_list("name", flat=True)) == ["Created meanwhile"]


def test_contacts_import_keeps_one_primary_per_customer(alice, make_customer):
    acme = make_customer(owner=alice, external_id="A1")
    Contact.objects.create(customer=acme, name="Old", is_primary=True)
    commit(alice, "contacts", "customer_external_id,name,phone,is_primary\nA1,Han,13600003333,是\nA1,Li,,1\n")
    assert list(acme.contacts.filter(is_primary=True).values_list("name", flat=True)) == ["Li"]
    assert acme.contacts.get(name="Han").phone == "13600003333"


def test_imported_interactions_close_what_was_pending_and_open_next_actions(alice, make_customer):
    acme = make_customer(owner=alice, external_id="A1")
    pending = FollowUp.objects.create(customer=acme, owner=alice, reason="call", created_at=NOW - dt.timedelta(30),
                                      due_at=NOW - dt.timedelta(20))
    commit(alice, "interactions", "customer_external_id,occurred_at,channel,summary,next_action,next_action_due\n"
           "A1,2026-06-01 10:00,微信,Talked,Send offer,2026-06-20\n")
    interaction = Interaction.objects.get()
    assert (interaction.staff, interaction.channel) == (alice, "wechat")
    pending.refresh_from_db()
    assert pending.done_by_id == interaction.pk
    new = FollowUp.objects.get(origin=f"crm.interaction:{interaction.pk}")
    assert (new.reason, new.owner, new.done_at) == ("Send offer", alice, None)


def test_personal_fields_are_sealed_in_the_stage_and_readable_after_the_write(alice):
    v = validate(alice, "customers", "name,phone,email\nAcme,13812345678,li@acme.cn\n")
    frame = v.stage.frames[0]
    assert frame["phone"].iloc[0].startswith("v1:") and "13812345678" not in frame.to_csv()
    writing.write_stage(stage=v.stage)
    assert Customer.objects.get().phone == "13812345678"


# ---------------------------------------------------------------- re-importing the same file (#16 item 2)


def _counts(v) -> tuple[int, int, int]:
    return v.stage.created, v.stage.updated, v.stage.unchanged


def test_reimporting_contacts_matches_them_by_customer_and_name(alice, make_customer):
    """Rule: a contacts file imported twice creates each contact once; the second time they are
    unchanged, and a contact whose other cells changed is updated in place (natural key: customer +
    name)."""
    acme = make_customer(owner=alice, external_id="A1")
    text = "customer_external_id,name,title,phone,is_primary\nA1,Han,Buyer,13600003333,是\nA1,Li,,,\n"
    assert _counts(commit(alice, "contacts", text)) == (2, 0, 0)
    assert _counts(commit(alice, "contacts", text)) == (0, 0, 2)
    v = commit(alice, "contacts", text.replace("Buyer", "Head of buying").replace("A1,Li,,,", "A1,Li,,,1"))
    assert _counts(v) == (0, 2, 0)
    contacts = {c.name: c for c in acme.contacts.all()}
    assert sorted(contacts) == ["Han", "Li"]
    assert (contacts["Han"].title, contacts["Han"].phone, contacts["Han"].is_primary) == (
        "Head of buying", "13600003333", False)
    assert contacts["Li"].is_primary  # the file's last primary wins, the stored one stepped down


def test_reimporting_interactions_adds_nothing_and_opens_no_second_follow_up(alice, make_customer):
    """Rule: interactions are matched by customer + time + summary; a re-import is unchanged, a
    changed feedback is an update, and no follow-up is opened twice."""
    make_customer(owner=alice, external_id="A1")
    text = ("customer_external_id,occurred_at,channel,summary,feedback,next_action,next_action_due\n"
            "A1,2026-06-01 10:00,微信,Talked,,Send offer,2026-06-20\nA1,2026-06-02 09:00,phone,Called,ok,,\n")
    assert _counts(commit(alice, "interactions", text)) == (2, 0, 0)
    assert _counts(commit(alice, "interactions", text)) == (0, 0, 2)
    assert _counts(commit(alice, "interactions", text.replace(",ok,", ",very happy,"))) == (0, 1, 1)
    assert Interaction.objects.count() == 2
    assert Interaction.objects.get(summary="Called").feedback == "very happy"
    assert FollowUp.objects.filter(origin__startswith="crm.interaction:").count() == 1


def test_reimporting_transactions_without_external_id_matches_each_identical_row_once(alice, make_customer):
    """Rule: without an external ID a transaction's natural key is customer + source + kind + date +
    amount; two identical rows are two purchases (the k-th row of a key matches the k-th stored
    one), so a re-import is unchanged and a file with a third identical row adds exactly one."""
    acme = make_customer(owner=alice, external_id="A1")
    text = "customer_external_id,amount,occurred_on,paid_on\nA1,100,2026-05-01,\nA1,100,2026-05-01,\nA1,50,2026-05-02,\n"
    assert _counts(commit(alice, "transactions", text)) == (3, 0, 0)
    assert _counts(commit(alice, "transactions", text)) == (0, 0, 3)
    v = commit(alice, "transactions", text.replace("A1,50,2026-05-02,", "A1,50,2026-05-02,2026-05-03")
               + "A1,100,2026-05-01,\n")
    assert _counts(v) == (1, 1, 2)
    assert acme.transactions.filter(amount=100).count() == 3
    assert acme.transactions.get(amount=50).paid_on == dt.date(2026, 5, 3)


def test_reimporting_transactions_by_external_id_is_unchanged_across_chunks(alice, make_customer):
    make_customer(owner=alice, external_id="A1")
    text = "customer_external_id,external_id,amount,occurred_on\n" + "".join(
        f"A1,T{i},{i + 1},2026-05-01\n" for i in range(7))
    assert _counts(commit(alice, "transactions", text, chunk_rows=3)) == (7, 0, 0)
    assert _counts(commit(alice, "transactions", text, chunk_rows=3)) == (0, 0, 7)
    assert Transaction.objects.count() == 7


def test_a_preview_whose_matched_contact_was_deleted_writes_nothing(alice, make_customer):
    acme = make_customer(owner=alice, external_id="A1")
    commit(alice, "contacts", "customer_external_id,name,title\nA1,Han,Buyer\n")
    v = validate(alice, "contacts", "customer_external_id,name,title\nA1,Han,Boss\nA1,Li,\n")
    assert _counts(v) == (1, 1, 0)
    acme.contacts.all().delete()
    with pytest.raises(writing.StaleStage):
        writing.write_stage(stage=v.stage)
    assert not acme.contacts.exists()
