"""Tool-selection evals. With GROQ_API_KEY the real model is measured; without it, the cases and the runner itself
are checked through the Groq DOUBLE (tests/doubles/openai_server.py)."""

from __future__ import annotations

import os
from datetime import date

import pytest
from livekit.plugins import groq

from jarvis_agent.store.postgres import PostgresStore
from jarvis_agent.tools import ALL_TOOLS

from ..doubles.openai_server import Text, ToolCalls
from .runner import calendar, evaluate, load_cases, score

TOOLS = {t.info.name: t for t in ALL_TOOLS}


def test_the_cases_are_well_formed() -> None:
    from livekit.agents.llm.utils import function_arguments_to_pydantic_model

    cases = load_cases()
    assert len(cases) >= 40
    assert sum(1 for c in cases if not c["tools"]) >= 3  # some requests need no tool
    assert len({c["said"] for c in cases}) == len(cases)
    days = calendar(date(2026, 11, 21))
    for case in cases:
        for tool in case["tools"]:
            assert tool in TOOLS, tool
        for key, value in case.get("args", {}).items():
            fields = function_arguments_to_pydantic_model(TOOLS[case["tools"][0]]._func).model_fields
            assert key in fields, (case["said"], key)
            for v in value if isinstance(value, list) else [value]:
                v.format(**days)  # every placeholder resolves


def test_scoring() -> None:
    today = date(2026, 11, 21)  # a Saturday: "jeudi" is 2026-11-26
    case = {"tools": ["check_class_availability"], "args": {"cours": ["body pump", "bodypump"], "date": "{jeudi}"}}
    assert score(case, ("check_class_availability", {"cours": "Body-Pump", "date": "2026-11-26"}), today) == (
        True, True)
    assert score(case, ("check_class_availability", {"cours": "yoga", "date": "2026-11-26"}), today) == (True, False)
    assert score(case, ("get_weekly_schedule", {}), today) == (False, False)
    assert score({"tools": []}, None, today) == (True, True)
    assert score({"tools": []}, ("get_gym_info", {}), today) == (False, False)


async def test_the_runner_through_the_groq_double(ro_store: PostgresStore, model, demo) -> None:
    cases = load_cases()[:6] + [c for c in load_cases() if not c["tools"]][:2]
    days = calendar(date.today())

    def expected_call(case: dict) -> ToolCalls | Text:
        if not case["tools"]:
            return Text("Bonjour !")
        args = {k: (v[0] if isinstance(v, list) else v).format(**days) for k, v in case.get("args", {}).items()}
        return ToolCalls([(case["tools"][0], args)])

    model.script(*[expected_call(c) for c in cases])
    async with groq.LLM(base_url=model.base_url, api_key=model.API_KEY) as llm:
        perfect = await evaluate(ro_store, llm, cases, demo.member_badge)
    assert perfect["tool_accuracy"] == 1.0 and perfect["args_accuracy"] == 1.0 and perfect["failures"] == []
    assert "Tu es Jarvis" in model.system_prompt(0) and "get_member_stats" in model.tool_names(0)

    model.reset()
    model.script(*[ToolCalls([("get_gym_info", {})]) for _ in cases])
    async with groq.LLM(base_url=model.base_url, api_key=model.API_KEY) as llm:
        wrong = await evaluate(ro_store, llm, cases, demo.member_badge)
    assert wrong["tool_accuracy"] < 0.5 and len(wrong["failures"]) == len(cases) - sum(
        1 for c in cases if "get_gym_info" in c["tools"] and not c.get("args"))


@pytest.mark.skipif(not os.environ.get("GROQ_API_KEY"),
                    reason="GROQ_API_KEY is not set: measuring tool selection needs the real Groq model")
async def test_tool_selection_with_the_real_model(ro_store: PostgresStore, demo) -> None:
    async with groq.LLM(model="llama-3.3-70b-versatile", temperature=0.0) as llm:
        result = await evaluate(ro_store, llm, load_cases(), demo.member_badge)
    print(result)
    assert result["tool_accuracy"] >= 0.85, result["failures"]
