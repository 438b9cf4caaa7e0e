import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_alice_logs_in_and_lands_on_the_customer_list(alice, login_as, live_server, screenshot):
    page = login_as(alice)
    assert page.url.endswith("/customers/")
    screenshot("login-landing")


def test_a_wrong_password_shows_an_error_and_stays_on_login(alice, page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "nope")
    page.click("button[type=submit]")
    assert "/login/" in page.url
    assert page.locator("[role=alert]").is_visible()
