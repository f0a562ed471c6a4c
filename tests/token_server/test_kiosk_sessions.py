"""`POST /v1/kiosk/sessions`: the token, its grants, the dispatch metadata, visitors, key lifecycle, limits."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from uuid import UUID

import pytest
from livekit import api

from ..conftest import sql, table_counts
from .conftest import LIVEKIT, register_kiosk, with_store

PATH = "/v1/kiosk/sessions"


def open_session(server, key: str | None, badge: str | None = None, **kwargs):
    headers = {"X-Kiosk-Key": key} if key is not None else {}
    return server.client.post(PATH, json={"badge_id": badge}, headers=headers, **kwargs)


def verified(token: str) -> api.access_token.Claims:
    return api.TokenVerifier(LIVEKIT["livekit_api_key"], LIVEKIT["livekit_api_secret"]).verify(token)


def test_a_member_session_gets_a_token_for_its_room_only_with_the_agent_dispatched(server, demo) -> None:
    key, kiosk_id = register_kiosk(server.db_url)
    response = open_session(server, key.key, demo.member_badge)
    assert response.status_code == 201, response.text
    body = response.json()
    session_id = UUID(body["session_id"])
    assert body["room"] == f"jarvis-{session_id}" and body["server_url"] == LIVEKIT["livekit_url"]
    assert (body["visitor"], body["visitor_reason"], body["gym_slug"]) == (False, None, "paris-bastille")

    claims = verified(body["participant_token"])
    assert claims.identity == f"kiosk-{kiosk_id}" == body["identity"]
    grants = claims.video
    assert (grants.room_join, grants.room, grants.can_publish, grants.can_publish_data, grants.can_subscribe) == \
        (True, body["room"], True, True, True)
    assert grants.can_publish_sources == ["microphone"]
    assert not (grants.room_create or grants.room_admin or grants.room_list or grants.room_record)
    agents = claims.room_config.agents
    assert [a.agent_name for a in agents] == ["jarvis"]
    assert json.loads(agents[0].metadata) == {"gym_slug": "paris-bastille", "badge_id": demo.member_badge,
                                              "kiosk_id": str(kiosk_id), "session_id": str(session_id)}
    # at most 15 minutes, and expires_at tells the kiosk when
    expires_at = datetime.fromisoformat(body["expires_at"])
    lifetime = expires_at - datetime.now(UTC)
    assert 0 < lifetime.total_seconds() <= 900

    rows = sql(server.db_url, "select status, member_id, kiosk_id from voice_sessions where id = %s", session_id)
    assert rows == [("started", demo.member, str(kiosk_id))]
    assert sql(server.db_url, "select last_session_at is not null from kiosks where id = %s", kiosk_id) == [(True,)]


def test_the_worker_accepts_the_dispatched_metadata(server, demo) -> None:
    from jarvis_agent.dispatch import JobMetadata

    key, _ = register_kiosk(server.db_url)
    body = open_session(server, key.key, demo.member_badge).json()
    metadata = verified(body["participant_token"]).room_config.agents[0].metadata
    parsed = JobMetadata.parse(metadata)
    assert (parsed.gym_slug, parsed.badge_id, str(parsed.session_id)) == \
        ("paris-bastille", demo.member_badge, body["session_id"])


@pytest.mark.parametrize(("badge", "reason"), [(None, "no_badge"), ("  ", "no_badge"), ("NOPE-404", "unknown_badge"),
                                               ("inactive", "inactive_badge"), ("lyon", "unknown_badge"),
                                               ("x" * 200, "unknown_badge")])
def test_unknown_inactive_foreign_or_missing_badges_open_a_visitor_session(server, demo, badge, reason) -> None:
    badge = {"inactive": demo.inactive_badge, "lyon": demo.lyon_badge}.get(badge, badge)
    key, _ = register_kiosk(server.db_url)
    response = open_session(server, key.key, badge)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["visitor"], body["visitor_reason"]) == (True, reason)
    metadata = json.loads(verified(body["participant_token"]).room_config.agents[0].metadata)
    assert metadata["badge_id"] is None
    assert sql(server.db_url, "select member_id from voice_sessions where id = %s", body["session_id"]) == [(None,)]


def test_missing_wrong_revoked_and_expired_keys_get_401_and_write_nothing(server, demo) -> None:
    key, kiosk_id = register_kiosk(server.db_url)
    before = table_counts(server.db_url)
    for presented in (None, "", "jk_wrong", key.key + "x", key.hash):
        response = open_session(server, presented, demo.member_badge)
        assert response.status_code == 401, (presented, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] in ("missing_kiosk_key", "invalid_kiosk_key")
    sql(server.db_url, "select revoke_kiosk(%s)", kiosk_id)
    assert open_session(server, key.key, demo.member_badge).status_code == 401
    assert table_counts(server.db_url) == {**before, "public.kiosks": before["public.kiosks"]}


def test_a_rotated_key_replaces_the_old_one_after_its_grace_period(server, demo) -> None:
    from token_server.security import new_kiosk_key

    old, kiosk_id = register_kiosk(server.db_url)
    new = new_kiosk_key()
    sql(server.db_url, "select rotate_kiosk_key(%s, %s, %s, 3600)", kiosk_id, new.hash, new.prefix)
    assert open_session(server, old.key).status_code == 201  # within the grace period
    assert open_session(server, new.key).status_code == 201
    sql(server.db_url, "update kiosks set previous_key_expires_at = now() - interval '1 second' where id = %s",
        kiosk_id)
    expired = open_session(server, old.key)
    assert expired.status_code == 401 and expired.json()["code"] == "invalid_kiosk_key"
    assert open_session(server, new.key).status_code == 201
    newer = new_kiosk_key()
    sql(server.db_url, "select rotate_kiosk_key(%s, %s, %s)", kiosk_id, newer.hash, newer.prefix)  # no grace
    assert open_session(server, new.key).status_code == 401
    assert open_session(server, newer.key).status_code == 201


def test_a_kiosk_over_its_rate_limit_gets_429_with_retry_after(make_server, demo) -> None:
    server = make_server(jarvis_rate_limit_kiosk_per_min=3)
    key, _ = register_kiosk(server.db_url)
    other, _ = register_kiosk(server.db_url, name="Vestiaires")
    assert [open_session(server, key.key).status_code for _ in range(3)] == [201, 201, 201]
    limited = open_session(server, key.key)
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 61
    assert open_session(server, other.key).status_code == 201  # per kiosk: the other one is not limited
    # a flood of wrong keys is limited too, before the database sees them
    assert [open_session(server, "jk_guess").status_code for _ in range(4)][-1] == 429


def test_a_client_over_the_per_ip_limit_gets_429(make_server, demo) -> None:
    server = make_server(jarvis_rate_limit_ip_per_min=5)
    statuses = [server.client.get("/v1/me").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    assert server.client.get("/healthz").status_code == 200  # probes are not limited


def test_oversized_bodies_get_413_declared_or_streamed(make_server) -> None:
    server = make_server(jarvis_max_request_bytes=1024)
    key, _ = register_kiosk(server.db_url)
    big = json.dumps({"badge_id": "x" * 5000})
    declared = server.client.post(PATH, content=big, headers={"X-Kiosk-Key": key.key,
                                                              "Content-Type": "application/json"})
    assert declared.status_code == 413 and declared.headers["content-type"] == "application/problem+json"

    def chunks():
        for i in range(0, len(big), 256):
            yield big[i:i + 256].encode()
    streamed = server.client.post(PATH, content=chunks(), headers={"X-Kiosk-Key": key.key,
                                                                   "Content-Type": "application/json"})
    assert streamed.status_code == 413 and streamed.json()["code"] == "request_too_large"


def test_malformed_bodies_get_422_problem_details(server) -> None:
    key, _ = register_kiosk(server.db_url)
    for body in ('{"badge_id": 12}', '{"badge": "x"}', "[1, 2]", "{not json", '{"badge_id": "a\\u0000b"}'):
        response = server.client.post(PATH, content=body, headers={"X-Kiosk-Key": key.key,
                                                                    "Content-Type": "application/json"})
        assert response.status_code == 422, (body, response.text)
        problem = response.json()
        assert problem["status"] == 422 and "Traceback" not in response.text


def test_without_livekit_credentials_kiosk_sessions_answer_503_and_write_nothing(make_server, demo, caplog) -> None:
    server = make_server(livekit_api_secret=None)
    key, _ = register_kiosk(server.db_url)
    before = table_counts(server.db_url)
    response = open_session(server, key.key, demo.member_badge)
    assert response.status_code == 503 and response.json()["code"] == "livekit_not_configured"
    assert "LIVEKIT_API_SECRET" in caplog.text and "LIVEKIT" not in response.text  # named for the operator only
    assert table_counts(server.db_url) == before
    ready = server.client.get("/readyz").json()
    assert ready["livekit"] == "not_configured"


def test_with_redis_down_sessions_still_open_and_readiness_says_so(make_server, demo) -> None:
    server = make_server(redis_url="redis://127.0.0.1:9/0")  # nothing listens on the discard port
    key, _ = register_kiosk(server.db_url)
    assert open_session(server, key.key, demo.member_badge).status_code == 201  # limits fail open
    ready = server.client.get("/readyz")
    assert ready.status_code == 503 and ready.json() == {"status": "not_ready", "database": "ok", "redis": "down",
                                                         "livekit": "configured"}


def test_with_the_database_down_requests_get_503_and_readiness_says_so(make_server) -> None:
    server = make_server(database_url="postgresql://jarvis@127.0.0.1:9/jarvis?connect_timeout=1")
    response = open_session(server, "jk_whatever")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.headers["content-type"] == "application/problem+json" and "127.0.0.1" not in response.text
    assert server.client.get("/readyz").json()["database"] == "down"
    assert server.client.get("/healthz").json() == {"status": "ok"}


def test_no_badge_ids_or_names_in_logs_above_debug(server, demo, caplog) -> None:
    key, _ = register_kiosk(server.db_url)
    with caplog.at_level(logging.INFO):
        assert open_session(server, key.key, demo.member_badge).status_code == 201
        assert open_session(server, key.key, "UNKNOWN-BADGE-77").status_code == 201
    text = "\n".join(r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG)
    assert "kiosk session" in text
    assert demo.member_badge not in text and "UNKNOWN-BADGE-77" not in text and demo.member_first_name not in text


def test_cors_allows_only_the_configured_origins(make_server) -> None:
    server = make_server(jarvis_cors_origins="https://dashboard.example.com")
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    allowed = server.client.options("/v1/me", headers={"Origin": "https://dashboard.example.com", **preflight})
    assert allowed.headers.get("access-control-allow-origin") == "https://dashboard.example.com"
    other = server.client.options("/v1/me", headers={"Origin": "https://evil.example.net", **preflight})
    assert "access-control-allow-origin" not in other.headers
    plain = make_server().client.get("/healthz", headers={"Origin": "https://dashboard.example.com"})
    assert "access-control-allow-origin" not in plain.headers  # no origins configured: same origin only


def test_badge_readers_trailing_newlines_still_find_the_member(server, demo) -> None:
    key, _ = register_kiosk(server.db_url)
    body = open_session(server, key.key, demo.member_badge + "\r\n").json()
    assert body["visitor"] is False
    assert sql(server.db_url, "select member_id from voice_sessions where id = %s", body["session_id"]) == \
        [(demo.member,)]


def test_the_server_starts_with_the_database_down_even_when_asked_to_migrate(make_server) -> None:
    server = make_server(database_url="postgresql://jarvis@127.0.0.1:9/jarvis?connect_timeout=1",
                         jarvis_auto_migrate=True)
    assert server.client.get("/healthz").status_code == 200
    assert server.client.get("/readyz").json()["database"] == "down"


def test_answers_with_member_data_or_tokens_are_never_cached(server, demo) -> None:
    key, _ = register_kiosk(server.db_url)
    assert open_session(server, key.key, demo.member_badge).headers["cache-control"] == "no-store"
    assert server.client.get("/v1/me", headers=server.manager_headers(demo.paris_manager)).headers[
        "cache-control"] == "no-store"


def test_ipv6_clients_are_limited_per_64_network() -> None:
    from token_server.deps import client_bucket

    assert client_bucket("2001:db8:1:2:aaaa::1") == client_bucket("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert client_bucket("2001:db8:1:3::1") != client_bucket("2001:db8:1:2::1")
    assert client_bucket("203.0.113.7") == "203.0.113.7" and client_bucket(None) == "unknown"


def test_sessions_a_kiosk_never_brought_to_the_agent_are_closed_by_the_sweeper(server, demo, redis_conn) -> None:
    from analytics.sweep import sweep

    key, _ = register_kiosk(server.db_url)
    old = open_session(server, key.key, demo.member_badge).json()["session_id"]
    fresh = open_session(server, key.key, demo.member_badge).json()["session_id"]
    sql(server.db_url, "update voice_sessions set started_at = now() - interval '2 hours' where id = %s", old)
    assert with_store(server.db_url, lambda store: sweep(store, redis_conn)).abandoned_closed == 1
    assert sql(server.db_url, "select id::text, status, end_reason from voice_sessions where id in (%s, %s) "
                              "order by started_at", old, fresh) == [(old, "failed", "abandoned"),
                                                                     (fresh, "started", None)]
