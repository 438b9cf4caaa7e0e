"""No query per row: every list endpoint and list page (every GET route without an
id, found by walking the URLconf) costs the same number of queries for 2 and for 20
rows of everything — customers with segments, contacts, money, interactions,
follow-ups, tickets with assignees, messages and breaches, survey answers, review
actions on this and on an earlier report."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .test_scope import NOT_IDS, ROUTES, url_for
from .world import team_world

LISTS = [r for r in ROUTES if not any(a not in NOT_IDS for a in r.values[4])]


def _get(http, url):
    response = http.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def _count(http, url) -> tuple[int, list[str]]:
    _get(http, url)  # the first read may store what later reads use (snapshots, settings)
    with CaptureQueriesContext(connection) as ctx:
        response = _get(http, url)
    return response.status_code, [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("role", ["lena", "ada"])
@pytest.mark.parametrize("route,name,pattern,namespace,args", LISTS)
def test_list_costs_the_same_queries_for_2_and_20_rows(route, name, pattern, namespace, args, role, alice, lena, now,
                                                      client, api_client_for, request):
    user = request.getfixturevalue(role)
    is_api = hasattr(pattern.callback, "cls")
    if is_api:
        http = api_client_for(user)
    else:
        client.force_login(user)
        http = client
    url = url_for(route, {a: NOT_IDS[a] for a in args})
    world = team_world(owner=alice, lead=lena, n=2, marker="BUDGET", now=now)
    status, small = _count(http, url)
    if status in (403, 404, 405):
        pytest.skip(f"{role} may not GET {url} ({status})")
    team_world(owner=alice, lead=lena, n=18, marker="BUDGET", now=now, world=world)
    status_20, large = _count(http, url)
    assert status_20 == status
    assert len(large) == len(small), (
        f"GET {url} as {role}: {len(small)} queries for 2 rows, {len(large)} for 20:\n"
        + "\n".join(q for q in large if q not in small)[:3000])
