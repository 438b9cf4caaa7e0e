"""The customer search finds exactly the names that contain the query, case-insensitively, whatever
index serves it: on PostgreSQL a query of at least crm.name_index.GRAM characters also reads the
whole-name gram index (migration crm 0019), which must never drop a match (a name containing the
query in the middle, after or before other text, with LIKE's wildcard characters in it). The API's
``?search=`` goes through the same search as the list page's ``?q=``."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import name_index
from crm.models import Customer
from crm.selectors import customer_search

pytestmark = pytest.mark.django_db

NAMES = ["上海万丰化工有限公司", "北京上海万丰化工有限公司分公司", "上海万丰", "万丰化工", "ACME Trading Ltd",
         "Big acme trading ltd.", "100% Pure_Co", "100 Pure-Co", "刘欣明", "张刘欣明", "刘欣"]
QUERIES = ["上海万丰化工有限公司", "万丰化工有限", "上海万丰", "万丰化工", "acme trading", "ACME TRADING LTD.",
           "0% Pure_C", "0 Pure_C", "e_Co", "刘欣明", "刘欣", "化工有限公司分", "有限公司分公司x", "Trad"]


@pytest.fixture
def named(alice, make_customer):
    return {name: make_customer(owner=alice, name=name).pk for name in NAMES}


@pytest.mark.parametrize("q", QUERIES)
def test_the_search_finds_exactly_the_names_containing_the_query(q, named):
    expected = {pk for name, pk in named.items() if q.upper() in name.upper()}
    with CaptureQueriesContext(connection) as ctx:
        found = set(customer_search(Customer.objects.all(), q).values_list("pk", flat=True))
    assert found == expected
    grams = any("crm_name_grams" in query["sql"] for query in ctx.captured_queries)
    assert grams == (connection.vendor == "postgresql" and len(q) >= name_index.GRAM)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the gram index is PostgreSQL's")
def test_the_gram_function_is_every_distinct_substring_of_the_gram_length():
    with connection.cursor() as cursor:
        cursor.execute("SELECT crm_name_grams(UPPER(%s)), crm_name_grams(%s), crm_name_grams(%s)",
                       ["abcab cAbcab", "abc", ""])
        many, short, empty = cursor.fetchone()
    text = "ABCAB CABCAB"
    assert sorted(many) == sorted({text[i:i + 4] for i in range(len(text) - 3)})
    assert len(many) == 7  # ABCA and BCAB twice in the text, once in the grams
    assert short == [] and empty == []


def test_the_api_search_is_the_list_search(alice, named, api_client_for, now):
    from crm import services

    phoned = services.customer_create(actor=alice, data={"name": "Phone Only", "phone": "13812345678"}, now=now)
    client = api_client_for(alice)
    for q in ("万丰化工", "acme trading", "5678"):
        api = {row["id"] for row in client.get("/api/v1/customers/", {"search": q}).json()["results"]}
        assert api == set(customer_search(Customer.objects.all(), q).values_list("pk", flat=True))
    assert {r["id"] for r in client.get("/api/v1/customers/", {"search": "5678"}).json()["results"]} == {phoned.pk}
    # Terms split on spaces: all of them must match.
    both = client.get("/api/v1/customers/", {"search": "上海 分公司"}).json()["results"]
    assert [row["name"] for row in both] == ["北京上海万丰化工有限公司分公司"]
