"""The reference kiosk page (/kiosk) in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against
the real token server under uvicorn: a badge opens a session, the LiveKit server (none runs here: its URL is a closed
port) is said to be unreachable, an unknown kiosk key and a refused microphone are said, and the page's own
`jarvis.display_video` RPC handler shows the video Jarvis sends."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import pytest

from token_server.app import STATIC, create_app

from ..conftest import sql
from ..doubles.server import LocalServer
from .browser import CHROMIUM, needs_chromium
from .browser import FLAGS as BROWSER_FLAGS
from .conftest import register_kiosk, settings_for

pytestmark = [
    needs_chromium,
    pytest.mark.skipif(not (STATIC / "vendor" / "kiosk.js").exists(),
                       reason="the kiosk bundle is not built (make install runs npm ci and npm run build)"),
]
FLAGS = [*BROWSER_FLAGS, "--use-fake-device-for-media-stream"]  # and a fake microphone
VIDEO = {"video_id": "0b6f3c1e-5f1a-4a8e-9d77-3f0c2a1b9e10", "title": "Bien faire : squat",
         "url": "https://videos.example.com/jarvis/squat.mp4", "thumbnail_url": "https://videos.example.com/squat.jpg",
         "duration_seconds": 95}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Kiosk:
    url: str
    livekit_url: str
    db_url: str
    key: str  # a registered kiosk's key
    kiosk_id: UUID


@dataclass
class Browsing:
    page: Any
    requests: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def kiosk_server(db_url, redis_url, redis_conn, tmp_path) -> Iterator[Kiosk]:
    livekit_url = f"ws://127.0.0.1:{closed_port()}"  # no LiveKit server here: nothing listens there
    settings = settings_for(db_url, redis_url, tmp_path / "data", livekit_url=livekit_url)
    key, kiosk_id = register_kiosk(db_url)  # before Playwright runs its event loop in this thread
    server = LocalServer(app=create_app(settings)).start()
    yield Kiosk(server.url, livekit_url, db_url, key.key, kiosk_id)
    server.stop()


@pytest.fixture
def browser(kiosk_server: Kiosk) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


def open_kiosk(browser: Any, kiosk: Kiosk, *, microphone: bool = True) -> Browsing:
    """The page in a fresh context; the microphone allowed (a fake one) or refused."""
    context = browser.new_context(permissions=["microphone"] if microphone else [])
    page = context.new_page()
    browsing = Browsing(page)
    page.on("request", lambda r: browsing.requests.append(r))
    page.on("console", lambda m: browsing.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: browsing.errors.append(str(e)))
    # the videos' hosts are not reached from a test
    page.route("https://videos.example.com/**", lambda route: route.abort())
    page.route("https://www.youtube-nocookie.com/**", lambda route: route.fulfill(body="<p>player</p>",
                                                                                  content_type="text/html"))
    response = page.goto(f"{kiosk.url}/kiosk")
    assert response is not None and response.ok
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    return browsing


def start(page: Any, key: str, badge: str) -> None:
    page.fill("#kiosk-key", key)
    page.fill("#badge", badge)
    page.click("#connect")


def test_the_page_loads_from_this_server_only_under_a_strict_policy(browser, kiosk_server) -> None:
    browsing = open_kiosk(browser, kiosk_server)
    policy = browsing.requests[0].response().header_value("content-security-policy")
    assert "script-src 'self';" in policy and "unsafe" not in policy
    assert f"connect-src 'self' {kiosk_server.livekit_url} " in policy  # the LiveKit server handed to kiosks
    assert browsing.page.locator("#status").inner_text() == "Hors ligne"
    assert browsing.page.locator("#not-built").count() == 0  # the bundle ran: no "not installed" note
    assert browsing.page.locator("#session").is_hidden() and browsing.page.locator("#video").is_hidden()
    assert all(r.url.startswith(kiosk_server.url) for r in browsing.requests), [r.url for r in browsing.requests]
    assert not browsing.errors, browsing.errors


def test_a_badge_opens_a_session_then_an_unreachable_livekit_server_is_said(browser, kiosk_server, demo) -> None:
    browsing = open_kiosk(browser, kiosk_server)
    page = browsing.page
    with page.expect_response("**/v1/kiosk/sessions") as answer:
        start(page, kiosk_server.key, demo.member_badge)
    post = answer.value
    assert post.status == 201 and post.request.method == "POST"
    assert post.request.header_value("x-kiosk-key") == kiosk_server.key
    assert json.loads(post.request.post_data or "") == {"badge_id": demo.member_badge}
    session = post.json()

    page.wait_for_selector("#error:not([hidden])", timeout=30_000)
    error = page.locator("#error-message").inner_text()
    assert error == "Impossible de joindre le serveur LiveKit : la conversation ne peut pas démarrer."
    assert kiosk_server.livekit_url in page.locator("#error-detail").inner_text()
    info = page.locator("#session-info").inner_text()
    assert "paris-bastille" in info and "membre" in info and session["session_id"] in info
    assert page.locator("#status").inner_text() == "Erreur"
    # only the browser's own report of the refused connection: no script error, nothing the policy blocked
    assert browsing.errors and all("ERR_CONNECTION_REFUSED" in e for e in browsing.errors), browsing.errors
    assert page.locator("#connect").is_visible() and page.locator("#disconnect").is_hidden()  # one can try again
    assert sql(kiosk_server.db_url, "select member_id, kiosk_id from voice_sessions where id = %s",
               session["session_id"]) == [(demo.member, str(kiosk_server.kiosk_id))]

    page.reload()  # the kiosk key is remembered by this browser, the badge is not
    page.wait_for_selector("body[data-ready=true]")
    assert page.input_value("#kiosk-key") == kiosk_server.key and page.input_value("#badge") == ""


def test_an_unknown_kiosk_key_shows_the_problem(browser, kiosk_server, demo) -> None:
    browsing = open_kiosk(browser, kiosk_server)
    page = browsing.page
    with page.expect_response("**/v1/kiosk/sessions") as answer:
        start(page, "jk_not-a-registered-key", demo.member_badge)
    assert answer.value.status == 401
    problem = answer.value.json()
    page.wait_for_selector("#error:not([hidden])", timeout=10_000)
    assert page.locator("#error-message").inner_text() == problem["title"] == "Clé de borne inconnue ou révoquée."
    assert page.locator("#session").is_hidden() and page.locator("#connect").is_visible()


def test_a_refused_microphone_is_said_before_any_session_is_opened(browser, kiosk_server, demo) -> None:
    browsing = open_kiosk(browser, kiosk_server, microphone=False)
    page = browsing.page
    start(page, kiosk_server.key, demo.member_badge)
    page.wait_for_selector("#error:not([hidden])", timeout=10_000)
    assert page.locator("#error-message").inner_text().startswith("Micro refusé")
    assert not [r for r in browsing.requests if "/v1/kiosk/sessions" in r.url]
    assert sql(kiosk_server.db_url, "select count(*) from voice_sessions where kiosk_id = %s",
               str(kiosk_server.kiosk_id)) == [(0,)]


def display_video(page: Any, payload: str) -> Any:
    """Call the handler the page registers for `jarvis.display_video`, as the LiveKit client would."""
    return page.evaluate("""async (payload) => {
        const handler = window.jarvisKiosk.rpcHandlers["jarvis.display_video"];
        try {
            return await handler({requestId: "req-1", callerIdentity: "agent-jarvis", payload, responseTimeout: 3000});
        } catch (error) {
            return {code: error.code, message: error.message};
        }
    }""", payload)


def test_the_display_video_rpc_shows_the_video_and_closes(browser, kiosk_server) -> None:
    page = open_kiosk(browser, kiosk_server).page
    answer = display_video(page, json.dumps(VIDEO, ensure_ascii=False))
    assert json.loads(answer) == {"shown": True, "video_id": VIDEO["video_id"]}
    assert page.locator("#video").is_visible()
    assert page.locator("#video-title").inner_text() == "Bien faire : squat"
    assert page.locator("#video-duration").inner_text() == "1 min 35 s"
    player = page.locator("#video-player")
    assert player.is_visible() and player.get_attribute("src") == VIDEO["url"]
    assert player.get_attribute("poster") == VIDEO["thumbnail_url"]
    assert page.locator("#video-frame").is_hidden()

    page.click("#video-close")
    assert page.locator("#video").is_hidden() and player.get_attribute("src") is None


def test_a_youtube_video_plays_in_the_privacy_enhanced_player_and_bad_payloads_are_rpc_errors(
        browser, kiosk_server) -> None:
    page = open_kiosk(browser, kiosk_server).page
    youtube = {**VIDEO, "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10"}
    assert json.loads(display_video(page, json.dumps(youtube)))["shown"] is True
    frame = page.locator("#video-frame")
    assert frame.is_visible() and page.locator("#video-player").is_hidden()
    assert frame.get_attribute("src") == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&rel=0"

    for payload in ("not json", json.dumps({**VIDEO, "url": "javascript:alert(1)"})):
        refused = display_video(page, payload)
        assert refused["code"] == 1500 and refused["message"].startswith("invalid video"), refused  # APPLICATION_ERROR
    assert frame.get_attribute("src", timeout=1000).startswith("https://www.youtube-nocookie.com/")  # still shown
