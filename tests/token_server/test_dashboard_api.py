"""The manager dashboard's REST API on the demo gyms, scored by the real churn model: what a manager sees, what they
may change, and that another gym's data does not exist for them."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from uuid import UUID, uuid4

import jwt
import pytest

from analytics.churn import ChurnModel
from analytics.scoring import score_members
from token_server.security import mint_manager_token

from ..conftest import sql
from .conftest import JWT_SECRET, with_store

PARIS, LYON = "paris-bastille", "lyon-part-dieu"


def score(db_url: str, gym: UUID) -> None:
    with_store(db_url, lambda store: score_members(store, ChurnModel.load(), gym))


@pytest.fixture
def scored(server, demo):
    score(server.db_url, demo.paris)
    score(server.db_url, demo.lyon)
    return server


def persist_session_with_tools(db_url: str, gym: UUID, member: UUID) -> UUID:
    """A finished session as the agent persists it: transcript with per-turn latency, two tool calls."""
    now = datetime.now(UTC).isoformat()
    session_id = uuid4()
    session = {"id": str(session_id), "gym_id": str(gym), "member_id": str(member), "kiosk_id": "k1",
               "status": "ended", "started_at": now, "ended_at": now, "end_reason": "goodbye", "metrics": {},
               "transcript": [{"role": "user", "text": "Il reste de la place au yoga ?", "at": now},
                              {"role": "assistant", "text": "Oui, trois places.", "at": now,
                               "metrics": {"e2e_latency": 0.61}}],
               "interactions": [{"seq": 0, "tool_name": "check_class_availability", "arguments": {"class_name": "yoga"},
                                 "result": "3 places", "error": None, "latency_ms": 42.0, "created_at": now},
                                {"seq": 1, "tool_name": "enroll_group_class", "arguments": {"class_name": "yoga"},
                                 "result": None, "error": "class_full", "latency_ms": 55.0, "created_at": now}]}
    with_store(db_url, lambda store: store.persist_voice_session(session))
    return session_id


def get(server, user: UUID, path: str, **params):
    return server.client.get(path, params=params, headers=server.manager_headers(user))


def test_me_lists_the_managed_gyms(server, demo) -> None:
    body = get(server, demo.paris_manager, "/v1/me").json()
    assert body["user_id"] == str(demo.paris_manager)
    assert [g["gym_slug"] for g in body["gyms"]] == [PARIS]


def test_at_risk_members_come_with_scores_levels_and_french_factors(scored, demo) -> None:
    page = get(scored, demo.paris_manager, f"/v1/gyms/{PARIS}/members/at-risk", min_level="MEDIUM", limit=10).json()
    expected = sql(scored.db_url, "select count(*) from gym_members where gym_id = %s and is_active "
                                  "and churn_level in ('MEDIUM', 'HIGH', 'CRITICAL')", demo.paris)[0][0]
    assert page["total"] == expected > 10 and len(page["items"]) == 10 and page["limit"] == 10
    scores = [m["churn_score"] for m in page["items"]]
    assert scores == sorted(scores, reverse=True)
    top = page["items"][0]
    assert top["churn_level"] in ("HIGH", "CRITICAL") and top["model_version"] == "churn-public-v1"
    assert top["factors"] and all(f["label"] and f["recommendation"] for f in top["factors"])
    second = get(scored, demo.paris_manager, f"/v1/gyms/{PARIS}/members/at-risk", min_level="MEDIUM", limit=10,
                 offset=10).json()
    assert not {m["member_id"] for m in second["items"]} & {m["member_id"] for m in page["items"]}
    critical = get(scored, demo.paris_manager, f"/v1/gyms/{PARIS}/members/at-risk", min_level="CRITICAL").json()
    assert {m["churn_level"] for m in critical["items"]} <= {"CRITICAL"}


def test_missions_are_listed_most_urgent_first_and_their_status_changes(server, demo) -> None:
    page = get(server, demo.paris_manager, f"/v1/gyms/{PARIS}/missions", status="open").json()
    assert page["total"] > 0 and all(m["status"] == "open" for m in page["items"])
    ranks = [["urgent", "high", "medium", "low"].index(m["priority"]) for m in page["items"]]
    assert ranks == sorted(ranks)
    mission = page["items"][0]["mission_id"]
    done = server.client.patch(f"/v1/gyms/{PARIS}/missions/{mission}", json={"status": "done"},
                               headers=server.manager_headers(demo.paris_manager))
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert sql(server.db_url, "select status from manager_missions where id = %s", mission) == [("done",)]
    invalid = server.client.patch(f"/v1/gyms/{PARIS}/missions/{mission}", json={"status": "deleted"},
                                  headers=server.manager_headers(demo.paris_manager))
    assert invalid.status_code == 422


def test_sessions_filter_and_one_session_has_its_transcript_and_tool_calls(server, demo) -> None:
    page = get(server, demo.paris_manager, f"/v1/gyms/{PARIS}/sessions", limit=5).json()
    assert page["total"] > 5 and len(page["items"]) == 5
    starts = [s["started_at"] for s in page["items"]]
    assert starts == sorted(starts, reverse=True)
    negative = get(server, demo.paris_manager, f"/v1/gyms/{PARIS}/sessions", sentiment="negative").json()
    assert negative["items"] and {s["sentiment_label"] for s in negative["items"]} == {"negative"}
    member_sessions = get(server, demo.paris_manager, f"/v1/gyms/{PARIS}/sessions",
                          member_id=str(page["items"][0]["member"]["member_id"])).json()
    assert {s["member"]["member_id"] for s in member_sessions["items"]} == {page["items"][0]["member"]["member_id"]}
    first_day = get(server, demo.paris_manager, f"/v1/gyms/{PARIS}/sessions", to="2000-01-01T00:00:00").json()
    assert first_day["total"] == 0
    with_tools = persist_session_with_tools(server.db_url, demo.paris, demo.member)
    detail = get(server, demo.paris_manager, f"/v1/gyms/{PARIS}/sessions/{with_tools}").json()
    assert detail["session_id"] == str(with_tools) and detail["turns"] == len(detail["transcript"]) == 2
    assert [(c["tool"], c["error"]) for c in detail["tool_calls"]] == [("check_class_availability", None),
                                                                       ("enroll_group_class", "class_full")]
    assert detail["member"]["member_id"] == str(demo.member)


def test_stats_cover_every_day_and_every_active_member(scored, demo) -> None:
    persist_session_with_tools(scored.db_url, demo.paris, demo.member)
    stats = get(scored, demo.paris_manager, f"/v1/gyms/{PARIS}/stats", days=30).json()
    assert stats["days"] == 30 and len(stats["sessions_per_day"]) == 30
    total = sql(scored.db_url, "select count(*) from voice_sessions where gym_id = %s and started_at >= "
                               "(now() - interval '31 days')", demo.paris)[0][0]
    assert 0 < sum(d["sessions"] for d in stats["sessions_per_day"]) <= total
    active = sql(scored.db_url, "select count(*) from gym_members where gym_id = %s and is_active", demo.paris)[0][0]
    assert sum(stats["churn_levels"].values()) == active and stats["churn_levels"]["unscored"] == 0
    latency = stats["turn_latency_ms"]
    assert latency["turns"] > 0 and latency["p50"] <= latency["p90"] <= latency["p95"] <= latency["p99"]
    usage = {t["tool"]: (t["calls"], t["errors"]) for t in stats["tool_usage"]}
    assert usage == {"check_class_availability": (1, 0), "enroll_group_class": (1, 1)}


def test_a_manager_of_gym_a_gets_404_for_anything_of_gym_b(server, demo) -> None:
    lyon_session = sql(server.db_url, "select id from voice_sessions where gym_id = %s limit 1", demo.lyon)[0][0]
    lyon_mission = sql(server.db_url, "insert into manager_missions (gym_id, title, description, priority) "
                                      "values (%s, 'Appeler Léa', 'Relancer après la blessure', 'high') returning id",
                       demo.lyon)[0][0]
    paris = demo.paris_manager
    for path in (f"/v1/gyms/{LYON}/members/at-risk", f"/v1/gyms/{LYON}/missions", f"/v1/gyms/{LYON}/sessions",
                 f"/v1/gyms/{LYON}/sessions/{lyon_session}", f"/v1/gyms/{LYON}/stats",
                 f"/v1/gyms/{PARIS}/sessions/{lyon_session}", "/v1/gyms/no-such-gym/stats"):
        response = get(server, paris, path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
    for slug in (LYON, PARIS):  # Lyon's mission through either slug
        patched = server.client.patch(f"/v1/gyms/{slug}/missions/{lyon_mission}", json={"status": "done"},
                                      headers=server.manager_headers(paris))
        assert patched.status_code == 404
    assert sql(server.db_url, "select status from manager_missions where id = %s", lyon_mission) != [("done",)]
    # the same answer as for a gym that does not exist: nothing tells gym B exists
    assert get(server, paris, f"/v1/gyms/{LYON}/stats").json() == get(server, paris, "/v1/gyms/zz-none/stats").json()


def test_invalid_expired_or_foreign_tokens_get_401(server, demo) -> None:
    now = int(time.time())
    claims = {"sub": str(demo.paris_manager), "aud": "authenticated", "role": "authenticated", "exp": now + 60}
    tokens = {
        "expired": jwt.encode({**claims, "exp": now - 3600}, JWT_SECRET, algorithm="HS256"),
        "wrong secret": jwt.encode(claims, "another-secret-of-another-project-0123", algorithm="HS256"),
        "anon role": jwt.encode({**claims, "role": "anon"}, JWT_SECRET, algorithm="HS256"),
        "no sub": jwt.encode({k: v for k, v in claims.items() if k != "sub"}, JWT_SECRET, algorithm="HS256"),
        "sub not a uuid": jwt.encode({**claims, "sub": "admin"}, JWT_SECRET, algorithm="HS256"),
        "alg none": jwt.encode(claims, None, algorithm="none"),
        "garbage": "not.a.jwt",
    }
    for name, token in tokens.items():
        response = server.client.get(f"/v1/gyms/{PARIS}/stats", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.json()["code"] == "invalid_token"
    assert server.client.get(f"/v1/gyms/{PARIS}/stats").status_code == 401  # no token at all
    stranger = mint_manager_token(JWT_SECRET, uuid4())  # valid, but manages nothing
    assert server.client.get(f"/v1/gyms/{PARIS}/stats",
                             headers={"Authorization": f"Bearer {stranger}"}).status_code == 404


def test_a_secret_unfit_for_hs256_disables_the_dashboard_but_not_the_kiosks(make_server, demo) -> None:
    from .conftest import register_kiosk

    server = make_server(supabase_jwt_secret="short")
    response = server.client.get("/v1/me", headers={"Authorization": "Bearer x.y.z"})
    assert response.status_code == 503 and response.json()["code"] == "jwt_secret_missing"
    key, _ = register_kiosk(server.db_url)
    assert server.client.post("/v1/kiosk/sessions", json={"badge_id": None},
                              headers={"X-Kiosk-Key": key.key}).status_code == 201
