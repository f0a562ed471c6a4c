"""Tool-selection evals: does the model pick the right tool (and key arguments) for French kiosk requests?

    GROQ_API_KEY=… .venv/bin/python -m tests.evals.runner [--model llama-3.3-70b-versatile] [--members 300]

Each case of cases.json is sent alone — Jarvis's real system prompt for a demo member, the member tools, the
request — and the first tool call the model makes (or none) is compared with the expected tools and arguments.
Dates are written as placeholders resolved from today ("{demain}", "{jeudi}"), as the prompt's calendar does.
Prints one JSON line: accuracies and the failed cases. Uses the embedded database with the demo gyms (seeded if
absent) unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import unicodedata
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from livekit.agents import llm as lk_llm
from livekit.plugins import groq

from jarvis_agent.agent import JarvisAgent
from jarvis_agent.context import SessionContext, load_context
from jarvis_agent.french import WEEKDAYS
from jarvis_agent.store import Store

CASES = Path(__file__).with_name("cases.json")


def load_cases() -> list[dict[str, Any]]:
    return json.loads(CASES.read_text(encoding="utf-8"))


def calendar(today: date) -> dict[str, str]:
    """Placeholders of the cases: aujourdhui, demain, and the next lundi … dimanche (tomorrow at the earliest)."""
    values = {"aujourdhui": today.isoformat(), "demain": (today + timedelta(days=1)).isoformat()}
    for offset in range(1, 8):
        day = today + timedelta(days=offset)
        values.setdefault(WEEKDAYS[day.weekday()], day.isoformat())
    return values


def _norm(value: Any) -> str:
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().lower()
    return " ".join(text.replace("-", " ").split())


def score(case: dict[str, Any], call: tuple[str, dict[str, Any]] | None, today: date) -> tuple[bool, bool]:
    """(right tool, right key arguments) for one case and the model's first call (None: no tool called)."""
    expected = case["tools"]
    if not expected:
        return call is None, call is None
    if call is None or call[0] not in expected:
        return False, False
    days = calendar(today)
    for key, want in case.get("args", {}).items():
        accepted = want if isinstance(want, list) else [want]
        accepted = [_norm(a.format(**days) if isinstance(a, str) else a) for a in accepted]
        if _norm(call[1].get(key)) not in accepted:
            return True, False
    return True, True


async def first_tool_call(model: lk_llm.LLM, context: SessionContext, said: str) -> tuple[str, dict] | None:
    agent = JarvisAgent(context)
    chat_ctx = lk_llm.ChatContext.empty()
    chat_ctx.add_message(role="system", content=agent.instructions)
    chat_ctx.add_message(role="user", content=said)
    async with model.chat(chat_ctx=chat_ctx, tools=list(agent.tools)) as stream:
        async for chunk in stream:
            if chunk.delta and chunk.delta.tool_calls:
                call = chunk.delta.tool_calls[0]
                return call.name, json.loads(call.arguments or "{}")
    return None


async def evaluate(store: Store, model: lk_llm.LLM, cases: list[dict[str, Any]], badge: str) -> dict[str, Any]:
    context = await load_context(store, "paris-bastille", badge, budget_s=5.0)
    today = date.fromisoformat(context.now.date)
    tool_ok = args_ok = 0
    failures = []
    for case in cases:
        call = await first_tool_call(model, context, case["said"])
        right_tool, right_args = score(case, call, today)
        tool_ok += right_tool
        args_ok += right_args
        if not right_args:
            failures.append({"said": case["said"], "expected": case["tools"], "got": call})
    return {"model": model.model, "cases": len(cases), "tool_accuracy": round(tool_ok / len(cases), 3),
            "args_accuracy": round(args_ok / len(cases), 3), "failures": failures}


async def _main(model_name: str, members: int) -> dict[str, Any]:
    import psycopg

    from jarvis_agent.demo import demo_present, seed_demo
    from jarvis_agent.store import database_url, open_store

    url = database_url()
    with psycopg.connect(url) as conn:
        if not demo_present(conn):
            seed_demo(url, members=members)
        badge = conn.execute(
            "select m.badge_id from gym_members m join gyms g on g.id = m.gym_id where g.slug = 'paris-bastille' "
            "and m.is_active and m.preferred_coach_id is not null order by m.badge_id limit 1").fetchone()[0]
    store = await open_store()
    try:
        async with groq.LLM(model=model_name, temperature=0.0) as model:
            return await evaluate(store, model, load_cases(), badge)
    finally:
        await store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="llama-3.3-70b-versatile")
    parser.add_argument("--members", type=int, default=300, help="demo size if it must be seeded")
    args = parser.parse_args()
    import os

    if not os.environ.get("GROQ_API_KEY"):
        print("GROQ_API_KEY is not set: get one at https://console.groq.com/keys", file=sys.stderr)
        return 2
    print(json.dumps(asyncio.run(_main(args.model, args.members)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
