"""Hostile input answers 4xx JSON, never a 500 (issue 13: each case the fuzzer found)."""
from __future__ import annotations

import base64
import logging

import pytest
from django.urls import path


@pytest.fixture
def api(ada, api_client_for):
    return api_client_for(ada)


def test_a_non_integer_id_is_a_json_404(api, alice):
    for path in ("/api/v1/reviews/abc/", "/api/v1/surveys/null,null/", "/api/v1/review-actions/null%2Cnull/",
                 "/api/v1/customers/1.5/", "/api/v1/reviews/null%2Cnull/export/xlsx/"):
        r = api.patch(path, {"status": "done"}, format="json")
        assert r.status_code == 404, path
        assert r["Content-Type"] == "application/json"
        assert r.json() == {"detail": "Not found."}


@pytest.mark.parametrize("offset", ["%2B19:00", "-23:59", "%2B15:59"])
def test_a_datetime_filter_with_any_utc_offset_is_answered(api, offset):
    for path in ("/api/v1/customers/?created_after=", "/api/v1/tickets/?created_before=",
                 "/api/v1/interactions/?occurred_after=", "/api/v1/survey-responses/?answered_after=",
                 "/api/v1/sla-breaches/?recorded_after="):
        r = api.get(f"{path}2026-01-01T00:00:00{offset}")
        assert r.status_code == 200, (path, r.content)


def test_a_datetime_filter_that_leaves_the_calendar_is_a_400(api):
    r = api.get("/api/v1/customers/?created_after=0001-01-01T00:00:00%2B19:00")
    assert r.status_code == 400
    assert "created_after" in r.json()


@pytest.mark.parametrize("start,end", [("0001-01-01", "0001-01-31"), ("9999-12-01", "9999-12-31"),
                                       ("0001-01-01", "9999-12-31")])
def test_metric_periods_at_the_ends_of_the_calendar_are_answered(api, start, end):
    for key in ("repurchase_rate", "nps"):
        r = api.get(f"/api/v1/metrics/{key}/?start={start}&end={end}")
        assert r.status_code == 400, (key, r.content)
        assert "between 1900-01-01 and 2199-12-31" in str(r.json())
    assert api.get("/api/v1/metrics/nps/?start=1900-01-01&end=2199-12-31").status_code == 200
    assert api.get("/api/v1/metrics/repurchase_rate/?start=1900-01-01&end=2199-12-31").status_code == 200
    assert api.get("/api/v1/tickets/feedback-priority/?as_of=9999-12-31").status_code == 400


def test_a_metric_period_ending_before_its_default_start_is_a_400(api):
    for path in ("/api/v1/metrics/repurchase_rate/?end=2000-01-01",
                 "/api/v1/metrics/repurchase_rate/records/?end=2000-01-01&part=0"):
        r = api.get(path)
        assert r.status_code == 400, (path, r.content)
        assert "end" in r.json()


@pytest.mark.parametrize("start,end", [("0001-01-01", "0001-01-31"), ("9999-12-01", "9999-12-31")])
def test_a_review_at_the_ends_of_the_calendar_is_answered(api, start, end):
    r = api.post("/api/v1/reviews/", {"title": "x", "period_start": start, "period_end": end, "scope": "all"},
                 format="json")
    assert r.status_code == 400, r.content
    assert set(r.json()) == {"period_start", "period_end"}


def test_a_forged_cursor_is_a_404_not_a_500(api, alice, make_customer):
    make_customer(owner=alice)
    for position in ("abc", "1e400", "null", "1.5"):
        cursor = base64.b64encode(f"p={position}&r=0&o=0".encode()).decode()
        r = api.get("/api/v1/customers/", {"cursor": cursor})
        assert r.status_code == 404, (position, r.content)
        assert r.json() == {"detail": "Invalid cursor"}


@pytest.mark.parametrize("body", ['"rows"', "42", "null", "true"])
def test_bulk_upsert_with_a_non_object_body_is_a_400(api, body):
    r = api.generic("POST", "/api/v1/customers/bulk-upsert/", body, content_type="application/json")
    assert r.status_code == 400
    assert "non_field_errors" in r.json()


@pytest.mark.parametrize("body", ["[null, null]", '"alice"', "7"])
def test_the_token_endpoint_answers_a_non_object_body_with_400(client, body):
    r = client.generic("POST", "/api/v1/auth/token/", body, content_type="application/json")
    assert r.status_code == 400
    assert "non_field_errors" in r.json()


def test_the_token_endpoint_names_each_missing_field(client):
    r = client.post("/api/v1/auth/token/", {}, content_type="application/json")
    assert r.status_code == 400
    assert set(r.json()) == {"username", "password"}


def test_deeply_nested_json_is_a_400(api):
    body = "[" * 100_000 + "]" * 100_000
    r = api.generic("POST", "/api/v1/customers/", body, content_type="application/json")
    assert r.status_code == 400
    assert "nested too deeply" in r.json()["detail"]


def test_malformed_json_is_a_400_that_says_so(api):
    r = api.generic("POST", "/api/v1/customers/", '{"name": ', content_type="application/json")
    assert r.status_code == 400
    assert "JSON parse error" in r.json()["detail"]


def test_wrong_types_get_a_message_per_field(api):
    r = api.post("/api/v1/customers/", {"name": ["a"], "tags": "x", "birthday": 5}, format="json")
    assert r.status_code == 400
    assert {"name", "tags", "birthday"} <= set(r.json())


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_body_over_the_size_limit_is_a_json_413(api, settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = api.generic("POST", "/api/v1/customers/", '{"name": "' + "x" * 2000 + '"}', content_type=content_type)
    assert r.status_code == 413
    assert r.json() == {"detail": "Request body too large."}


def test_a_body_over_the_default_limit_is_a_413(api):
    r = api.generic("POST", "/api/v1/customers/bulk-upsert/", "[" + "0," * 1_400_000 + "0]",
                    content_type="application/json")
    assert r.status_code == 413


def test_a_datetime_before_1901_is_written_back_in_utc_not_local_mean_time(api, alice, make_customer):
    customer = make_customer(owner=alice)
    r = api.post("/api/v1/interactions/", {"customer": customer.pk, "occurred_at": "2026-01-01T10:00:00+08:00",
                                           "channel": "phone", "summary": "s",
                                           "objection_resolved_at": "0204-08-28T10:46:59.8Z"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["objection_resolved_at"].startswith("0204-08-28T10:46:59")
    assert r.json()["objection_resolved_at"].endswith("Z")
    assert r.json()["occurred_at"] == "2026-01-01T10:00:00+08:00"


def test_a_datetime_with_an_offset_beyond_the_databases_range_is_stored(api, alice, make_customer):
    customer = make_customer(owner=alice)
    r = api.post("/api/v1/interactions/", {"customer": customer.pk, "occurred_at": "2026-01-01T19:00:00+19:00",
                                           "channel": "phone", "summary": "s"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["occurred_at"] == "2026-01-01T08:00:00+08:00"


def test_a_datetime_that_leaves_the_calendar_in_utc_is_a_400(api, alice, make_customer):
    customer = make_customer(owner=alice)
    r = api.post("/api/v1/interactions/", {"customer": customer.pk, "occurred_at": "0001-01-01T00:00:00+08:00",
                                           "channel": "phone", "summary": "s"}, format="json")
    assert r.status_code == 400
    assert "occurred_at" in r.json()


def test_an_unexpected_error_is_logged_with_traceback_and_request_id(api, monkeypatch, caplog):
    from crm.api import CustomerViewSet

    def boom(self, request, *args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(CustomerViewSet, "list", boom)
    with caplog.at_level(logging.ERROR, logger="core.api"):
        r = api.get("/api/v1/customers/")
    assert r.status_code == 500
    body = r.json()
    assert body["detail"] == "Internal error."
    assert body["request_id"] == r["X-Request-ID"]
    record = next(rec for rec in caplog.records if rec.name == "core.api")
    assert body["request_id"] in record.getMessage()
    assert record.exc_info and record.exc_info[1].args == ("kaboom",)
    assert "kaboom" not in r.content.decode()


def test_every_log_line_of_a_request_carries_its_id(api, caplog):
    from core.errors import RequestIdLogFilter

    r = api.get("/api/v1/customers/", HTTP_X_REQUEST_ID="proxy-id-12345")
    assert r["X-Request-ID"] == "proxy-id-12345"
    forged = api.get("/api/v1/customers/", HTTP_X_REQUEST_ID="bad id\nINJECTED")
    assert "INJECTED" not in forged["X-Request-ID"]
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "outside", None, None)
    RequestIdLogFilter().filter(record)
    assert record.request_id == "-"


def _boom(request):
    raise RuntimeError("kaboom outside DRF")


urlpatterns = [path("boom/", _boom), path("api/v1/boom/", _boom)]
handler500 = "core.errors.server_error"
handler404 = "core.errors.page_not_found"


def test_a_500_page_outside_the_api_shows_the_request_id_of_the_logged_traceback(client, settings, caplog):
    from core.errors import RequestIdLogFilter

    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    caplog.handler.addFilter(RequestIdLogFilter())
    with caplog.at_level(logging.ERROR, logger="django.request"):
        page = client.get("/boom/")
        api = client.get("/api/v1/boom/")
    assert page.status_code == 500 and api.status_code == 500
    assert page["X-Request-ID"] in page.content.decode()
    assert api.json() == {"detail": "Internal error.", "request_id": api["X-Request-ID"]}
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[1].args == ("kaboom outside DRF",)]
    assert {r.request_id for r in logged} == {page["X-Request-ID"], api["X-Request-ID"]}
    assert len(logged) == 2


def test_an_unknown_api_path_is_a_json_404(client):
    r = client.get("/api/v1/no-such-thing/")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not found."}


def test_options_on_an_action_routed_without_the_id_describes_it_instead_of_a_500(api_client_for, alice, ada):
    # The fuzzer's OPTIONS /api/v1/customers/external/<id>/: DRF's metadata fetched an object by a
    # URL argument that route does not have; an ordinary detail URL still checks its object.
    for user in (alice, ada):
        r = api_client_for(user).options("/api/v1/customers/external/0/")
        assert r.status_code == 200
        assert "PUT" in r.json()["actions"]
    # another customer's (or no customer's) detail URL still checks the object: no PUT described
    assert "PUT" not in api_client_for(alice).options("/api/v1/customers/987654/").json().get("actions", {})
