"""The dashboard page in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; no browser download)
against the real token server under uvicorn: the demo manager sees the demo gym's at-risk members and the charts."""

from __future__ import annotations

import pytest

from token_server.app import STATIC, create_app
from token_server.security import mint_manager_token

from ..conftest import sql
from ..doubles.server import LocalServer
from .browser import CHROMIUM, FLAGS, needs_chromium
from .conftest import JWT_SECRET, settings_for
from .test_dashboard_api import score

pytestmark = [
    needs_chromium,
    pytest.mark.skipif(not (STATIC / "vendor" / "chart.umd.min.js").exists(),
                       reason="the chart library is not installed (make install runs npm ci)"),
]


@pytest.fixture
def live_server(db_url, redis_url, redis_conn, tmp_path, demo):
    score(db_url, demo.paris)
    server = LocalServer(app=create_app(settings_for(db_url, redis_url, tmp_path / "data"))).start()
    yield server.url
    server.stop()


def test_the_demo_manager_sees_at_risk_members_and_charts(live_server, db_url, demo, tmp_path) -> None:
    from playwright.sync_api import sync_playwright

    token = mint_manager_token(JWT_SECRET, demo.paris_manager)
    top = sql(db_url, "select first_name || ' ' || last_name from gym_members where gym_id = %s and is_active "
                      "and churn_level in ('HIGH', 'CRITICAL') order by churn_score desc, id limit 3", demo.paris)
    assert top, "the demo gym has members at high risk once scored"
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{live_server}/dashboard#token={token}")
        page.wait_for_selector("body[data-loaded=true]", timeout=20_000)
        names = page.locator("#at-risk tbody tr td:first-child").all_inner_texts()
        charts = page.evaluate("['sentiment-chart', 'latency-chart', 'churn-chart']"
                               ".map(id => Chart.getChart(id) ? Chart.getChart(id).data.datasets.length : 0)")
        title = page.locator("#gym-name").inner_text()
        stored_in_url = page.evaluate("location.href")
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        browser.close()
    assert [n for n, in top] == names[:len(top)]
    assert charts == [2, 1, 1] and "Paris" in title
    assert "token=" not in stored_in_url  # the token leaves the address bar
    assert all(url.startswith(live_server) for url in requests), requests  # no CDN, no other host
    assert not errors, errors
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000


def test_without_a_token_the_page_asks_for_one(live_server) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page()
        page.goto(f"{live_server}/dashboard#token=not-a-valid-token")
        page.wait_for_selector("#login:not([hidden])", timeout=20_000)
        assert page.locator("#board").is_hidden()
        browser.close()
