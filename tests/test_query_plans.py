"""On PostgreSQL the searches, filters and queues a user waits for read an index:
no sequential scan of ``crm_customer`` or ``segmentation_customersegment`` in the
plan of any query the real endpoints run.

Why 200,000 rows and VACUUM ANALYZE rather than ``enable_seqscan = off``: turning
sequential scans off only shows that an index *could* serve a query; the planner
with real statistics shows that it *does* (the original bug was a planner choice:
it walked the created_at index past a million rows because it had no statistics
for ``UPPER(name)``). 200,000 rows are enough that a sequential scan of either table
costs far more than an index read, and few enough to load in seconds. The test
needs its own transaction handling (``transaction=True``) because VACUUM cannot run
inside a transaction and index-only scans need the visibility map it sets.
"""
from __future__ import annotations


import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's"),
]

ROWS = 200_000
REGIONS = ["华东", "华南", "华北", "西北", "东北", "华中", "Shanghai", "Beijing"]
TABLES = ("crm_customer", "segmentation_customersegment")


@pytest.fixture
def loaded(alice, bob, charlie, lena, ada, now):
    owners = [(u.pk, u.team_id) for u in (alice, bob, charlie)]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO crm_customer (source, external_id, name, kind, industry, size, region, owner_id, team_id, "
            "preferred_channel, tags, phone, email, id_number, address, notes, created_at, updated_at) "
            "SELECT 'erp', 'EXT-' || lpad(i::text, 6, '0'), "
            "'客户' || lpad(i::text, 6, '0') || ' ' || (ARRAY['Alpha','Beta','Gamma','Delta'])[i %% 4 + 1] || ' Trading', "
            "'company', '制造', '', (%(regions)s::text[])[i %% 8 + 1], (%(owners)s::int[])[i %% 3 + 1], "
            "(%(teams)s::int[])[i %% 3 + 1], '', '', '', '', '', '', '', "
            "%(now)s::timestamptz - i * interval '1 minute', %(now)s::timestamptz FROM generate_series(1, %(rows)s) i",
            {"regions": REGIONS, "owners": [o for o, _t in owners], "teams": [t for _o, t in owners], "now": now,
             "rows": ROWS})
        cursor.execute(
            "INSERT INTO segmentation_customersegment (customer_id, as_of, tier, tier_reason, f_count, m_amount, "
            "rfm_segment, value_tier, membership_level, membership_points, health_score, next_contact_due, "
            "days_overdue, queue_weight, computed_at, owner_id, team_id) "
            "SELECT id, %(today)s, 'churn_risk', '', 0, 0, 'loyal', 'high', 'gold', 0, 50, "
            "%(today)s::date + 200 - (id %% 400)::int, 0, 0, %(now)s, owner_id, team_id FROM crm_customer",
            {"today": now.date(), "now": now})
        cursor.execute(
            "INSERT INTO crm_followup (customer_id, owner_id, source, reason, due_at, created_at, origin) "
            "SELECT id, owner_id, 'manual', 'call', %(now)s::timestamptz - (id %% 900) * interval '1 hour', "
            "%(now)s, '' FROM crm_customer WHERE id %% 4 = 0", {"now": now})
        for table in (*TABLES, "crm_followup"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def _plans_of(client, path, params=None) -> list[tuple[str, str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params or {})
    assert response.status_code == 200, (path, response.status_code)
    plans = []
    with connection.cursor() as cursor:
        for query in ctx.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or not any(t in sql for t in TABLES):
                continue
            cursor.execute("EXPLAIN " + sql)
            plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    assert plans, f"{path} ran no query on the customer or segment table"
    return plans


def _assert_no_seq_scan(plans):
    for sql, plan in plans:
        for table in TABLES:
            assert f"Seq Scan on {table}" not in plan, f"{sql}\n{plan}"


def _html(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_customer_search_of_the_list_and_of_the_api_reads_the_name_indexes(loaded, alice):
    # A whole name (at least crm.name_index.GRAM characters): the whole-name gram index of crm 0019,
    # from the list page and from the API alike.
    for client, path, param in ((_html(alice), "/customers/", "q"), (_api(alice), "/api/v1/customers/", "search")):
        plans = _plans_of(client, path, {param: "客户012345 Beta Trading"})
        _assert_no_seq_scan(plans)
        assert any("crm_customer_name_grams" in plan for _sql, plan in plans), plans
    # A rare external id (the "7 matches" case: 10 here). With a part matching 100 of the
    # 200,000 ids ("EXT-0123") the plan varied from run to run (ANALYZE samples at random; when
    # the estimate is high the planner walks the id index instead), so that case is not pinned.
    api = _plans_of(_api(alice), "/api/v1/customers/", {"search": "EXT-01234"})
    _assert_no_seq_scan(api)
    assert any("crm_customer_extid_trgm" in plan for _sql, plan in api), api


def test_the_case_insensitive_region_filter_reads_its_upper_index(loaded, alice, charlie):
    # A region nobody in charlie's scope has (the 307 ms case) and a real one.
    for user, region in ((charlie, "西南"), (alice, "shanghai")):
        plans = _plans_of(_api(user), "/api/v1/customers/", {"region": region})
        _assert_no_seq_scan(plans)
    plans = _plans_of(_api(charlie), "/api/v1/customers/", {"region": "西南"})
    assert any("crm_customer_region_upper" in plan for _sql, plan in plans)
    _assert_no_seq_scan(_plans_of(_html(alice), "/customers/", {"region": "西南"}))


def test_the_follow_up_queue_of_a_manager_a_lead_and_an_admin_reads_the_queue_indexes(loaded, alice, lena, ada):
    for user in (alice, lena, ada):
        plans = _plans_of(_html(user), "/segments/follow-ups/")
        _assert_no_seq_scan(plans)
        assert any("segment_queue_" in plan for _sql, plan in plans), plans
    _assert_no_seq_scan(_plans_of(_api(alice), "/api/v1/follow-ups/"))


def test_a_deep_keyset_page_of_the_customer_list_reads_the_sort_index(loaded, alice):
    client = _html(alice)
    page = client.get("/customers/", {"sort": "name"}).context["page"]
    for _ in range(3):
        page = client.get("/customers/", {"sort": "name", "after": page.next_cursor}).context["page"]
    plans = _plans_of(client, "/customers/", {"sort": "name", "after": page.next_cursor})
    # The page query; the unfiltered list's capped count may stop a LIMIT-ed sequential
    # read after 1,001 rows of the scope, which is bounded whatever the table's size.
    rows = [(sql, plan) for sql, plan in plans if "ORDER BY" in sql and "COUNT(" not in sql]
    assert len(rows) == 1 and "crm_custome_name_0c497a_idx" in rows[0][1], rows
    _assert_no_seq_scan(rows)


def test_a_team_leads_follow_up_queue_checks_its_scope_from_the_covering_indexes(loaded, lena):
    """Rule (issue 14 item 1): the lead's queue and its capped count read the open follow-ups and
    their customers' team/owner from indexes only (crm 0008), not a heap page of the wide customer
    table per follow-up read, whose cost grew with the table."""
    plans = [(sql, plan) for sql, plan in _plans_of(_html(lena), "/segments/follow-ups/")
             if "crm_followup" in sql and "COUNT(" in sql]
    _assert_no_seq_scan(plans)
    assert len(plans) == 1, plans
    plan = plans[0][1]
    assert "Index Only Scan using crm_followup_open_due on crm_followup" in plan, plan
    assert "Index Only Scan using crm_customer_scope on crm_customer" in plan, plan
