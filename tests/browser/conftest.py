"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium).

Without Chromium the tests are skipped, unless CRM_REQUIRE_BROWSER=1 (CI), which
turns a missing browser into an error."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CRM_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"Chromium not found at {CHROMIUM}; install it with apt-get install chromium")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"],
    }


@pytest.fixture
def login_as(live_server, page):
    """``login_as(user, lang="en")`` logs the user in through the real login form."""

    def login(user, *, lang: str = "en"):
        page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "pw-" + user.username + "-123")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    return login


@pytest.fixture
def screenshot(page):
    """``screenshot("name")`` saves var/screenshots/name.png for a human to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shot(name: str):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return shot


@pytest.fixture
def bulk_followup(page):
    """``bulk_followup(reason, opened=n)`` submits a records page's "a follow-up for
    each owner" form (due in two days) and waits for its "n follow-ups opened"."""
    import datetime as dt

    from django.utils import timezone

    def submit(reason: str, *, opened: int) -> None:
        page.fill("#id_fu-due_on", (timezone.localdate() + dt.timedelta(days=2)).isoformat())
        page.fill("#id_fu-reason", reason)
        page.click("#bulk-followup button[type=submit]")
        page.wait_for_selector(f"text={opened} follow-ups opened for their owners.")

    return submit
