"""The page walk: for every role, every page reachable from the menu (and one
click further), in English and in Chinese, over a data set whose own text is
ASCII (walk_data). Fails on
- a CJK character on an English page (outside the language switcher),
- an English word from a template on a Chinese page (allow-listed: the data's own
  words and genuinely untranslatable tokens),
- a raw code (``word:number``) in visible text, a console error, a page that is not 200.
Text inside an element with its own ``lang`` attribute is in that language on purpose.
Every page is screenshotted at 1280 px and 390 px: var/screenshots/walk-*.png.

One live server and one data set serve the whole module (the walk runs twice in CI)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from conftest import ensure_migration_defaults
from tests.browser import walk_data
from tests.browser.conftest import SCREENSHOTS

# The marker makes pytest-django set up the test database; each test only reads
# (in a transaction that is rolled back), the module fixture below holds the data.
pytestmark = pytest.mark.django_db

ROLES = ["ada", "lena", "alice", "sam"]  # admin, team lead, account manager, support
WIDTHS = (1280, 390)
MAX_PAGES = 45
SKIP_PATH = re.compile(r"^/(logout|admin|api|s|i18n|static|media)(/|$)|export|download|\.(csv|xlsx|pdf)$|/template")
# Text on a Chinese page that is rightly not Chinese: product names, units, codes, formats.
UNTRANSLATABLE = {
    "NPS", "CSAT", "CES", "CSV", "XLSX", "PDF", "SLA", "RFM", "CLV", "API", "ID", "URL", "HTMX", "CRM", "TK",
    "HTTP", "JSON", "OpenAPI", "Swagger", "Chart", "js", "Django", "English", "admin", "pts", "h", "m", "s", "d",
    "min", "x", "vs", "e", "g", "am", "pm", "AM", "PM", "Q", "KPI", "VIP", "IMP", "example", "com",
    "Excel", "xlsx", "csv", "UTF", "GB", "MB", "KB", "CLTV", "R", "F", "M", "Webhook", "IMAP", "SMTP", "TLS", "SSL",
    "POST", "HMAC", "SHA", "GBK", "GB18030",
    # date-format tokens in placeholders and hints (YYYY-MM-DD is how both languages write it)
    "YYYY", "MM", "DD", "HH",
}
# Identifiers, event names, addresses (external_id, customer.created, https://…) are codes, not words.
CODES = re.compile(r"https?://\S+|\S+@\S+|\b\w+(?:[._]\w+)+\b|\{\w+\}")  # … and {placeholders}
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
RAW_CODE = re.compile(r"\b[a-z_]{2,}:\d+")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
# Visible text of the page without the language switcher (which names both languages).
VISIBLE_TEXT = """() => {
  const root = document.body.cloneNode(true);
  root.querySelectorAll('form.langswitch, [lang]:not(html), script, style, template').forEach(n => n.remove());
  document.body.appendChild(root); root.style.position = 'absolute'; root.style.left = '-99999px';
  const text = root.innerText; root.remove();
  const attrs = [...document.querySelectorAll('[placeholder],[title],[aria-label],img[alt]')]
    .filter(n => !n.closest('form.langswitch'))
    .map(n => [n.getAttribute('placeholder'), n.getAttribute('title'), n.getAttribute('aria-label'), n.getAttribute('alt')]
    .filter(Boolean).join(' '));
  return [document.title, text, ...attrs].join('\\n');
}"""
LINKS = """() => [...document.querySelectorAll('a[href]')].filter(a => !a.hasAttribute('download'))
  .map(a => a.getAttribute('href'))"""


@pytest.fixture(scope="module")
def walk(django_db_setup, django_db_blocker):
    """The data set and a live server for the whole module; the tables are emptied after."""
    from pytest_django.live_server_helper import LiveServer

    from crm import activity

    with django_db_blocker.unblock():
        server = None
        try:
            # Inside the try: a set-up that fails half-way must not leave its rows to the next module.
            # The migrations' rows committed now: a transactional test before this module may have
            # flushed them, and each test's own (rolled-back) transaction writing them would hold
            # SQLite's write lock while the live server waits for it.
            ensure_migration_defaults()
            users = walk_data.build(now=timezone.now())
            # The data set's activity spells now, not in the pages: with the tests' deferred SQLite
            # transactions two pages refreshing at once would fail on the lock upgrade (the app's
            # settings begin IMMEDIATE, where they wait for each other).
            activity.refresh()
            allowed = walk_data.data_words() | UNTRANSLATABLE
            server = LiveServer("localhost")
            yield {"url": server.url, "users": users, "allowed": allowed}
        finally:
            if server is not None:
                server.stop()
            call_command("flush", interactive=False, verbosity=0)


def pattern(path: str) -> str:
    """Pages of one kind share a pattern (/customers/12/ and /customers/13/ → /customers/#/)."""
    return re.sub(r"/\d+(?=/|$)", "/#", path)


def problems_on(text: str, *, lang: str, allowed: set[str]) -> list[str]:
    found = []
    if lang == "en":
        found += [f"CJK text: {line.strip()[:80]!r}" for line in text.splitlines() if CJK.search(line)]
    else:
        english = sorted({w for w in WORD.findall(CODES.sub(" ", text)) if w not in allowed and w.strip("'’") not in allowed})
        if english:
            found.append(f"English words: {', '.join(english[:30])}")
    found += [f"raw code: {m!r}" for m in sorted(set(RAW_CODE.findall(text)))]
    return found


def test_the_problem_finder_sees_each_kind_of_defect():
    allowed = {"Acme"}
    assert problems_on("Customers\n工单 TK1", lang="en", allowed=allowed) == ["CJK text: '工单 TK1'"]
    assert problems_on("客户 Acme Mark all as read", lang="zh-hans", allowed=allowed) == [
        "English words: Mark, all, as, read"]
    assert problems_on("原因 inactive:279", lang="zh-hans", allowed={"inactive"}) == ["raw code: 'inactive:279'"]
    assert problems_on("Due 10:30, Acme", lang="en", allowed=allowed) == []
    assert problems_on("列 external_id，事件 customer.created", lang="zh-hans", allowed=allowed) == []


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
@pytest.mark.parametrize("username", ROLES)
def test_every_page_reads_right_in_one_language(walk, browser, username, lang):
    base = walk["url"]
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900}, locale=lang)
    context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    page.on("response", lambda r: console.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", walk_data.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    menu = [h for h in page.eval_on_selector_all("nav a[href]", "els => els.map(a => a.getAttribute('href'))")
            if h.startswith("/")]
    assert menu, "no menu after login"
    queue = [(h, 0) for h in ["/notifications/", *menu]]
    seen: set[str] = set()
    report: dict[str, list[str]] = {}
    while queue and len(seen) < MAX_PAGES:
        href, depth = queue.pop(0)
        path = urlsplit(href).path
        if SKIP_PATH.search(path) or pattern(path) in seen:
            continue
        seen.add(pattern(path))
        console.clear()
        response = page.goto(base + href)
        page.wait_for_load_state("networkidle")
        issues = [] if response and response.status == 200 else [f"status {response.status if response else None}"]
        issues += problems_on(page.evaluate(VISIBLE_TEXT), lang=lang, allowed=walk["allowed"])
        slug = re.sub(r"[^a-z0-9]+", "-", pattern(path).replace("#", "n")).strip("-") or "home"
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(SCREENSHOTS / f"walk-{lang}-{username}-{slug}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        issues += [f"console: {c[:160]}" for c in console]
        if issues:
            report[href] = issues
        if depth < 2:
            for link in page.evaluate(LINKS):
                if link.startswith("/") and not link.startswith("//"):
                    queue.append((link, depth + 1))
    context.close()
    print(f"{username} {lang}: {len(seen)} kinds of page")
    assert len(seen) >= len(menu)
    assert report == {}, "\n".join(f"{href}: {'; '.join(v)}" for href, v in report.items())
