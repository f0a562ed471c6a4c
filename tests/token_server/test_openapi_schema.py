"""schemathesis against the app's own OpenAPI schema: generated requests, valid and invalid, on every operation,
with a real kiosk key and a real manager token, never get a 5xx nor a response outside the schema.

Negative cases are checked for the same (no 5xx, documented answers), not with `negative_data_rejection`: the API
ignores unknown query parameters, as HTTP APIs usually do, and the credentials given to every case put back a
header a negative case had removed. (schemathesis' pytest plugin — `parametrize` / `from_fixture` — does not run
under pytest 9.2, so each operation's hypothesis strategy is driven here directly.)"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from token_server.app import create_app
from token_server.security import mint_manager_token

from .conftest import JWT_SECRET, register_kiosk, settings_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 40


@pytest.fixture
def api(db_url, redis_url, redis_conn, tmp_path, demo):
    key, _ = register_kiosk(db_url)
    app = create_app(settings_for(db_url, redis_url, tmp_path / "data", jarvis_rate_limit_kiosk_per_min=1_000_000,
                                  jarvis_rate_limit_ip_per_min=1_000_000))
    headers = {"X-Kiosk-Key": key.key, "Authorization": f"Bearer {mint_manager_token(JWT_SECRET, demo.paris_manager)}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    yield schema, headers
    schemathesis.python.asgi.shutdown_lifespans()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_keeps_to_the_schema(api, mode) -> None:
    schema, headers = api
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{o.method.upper()} {o.path}" for o in operations} >= {
        "POST /v1/kiosk/sessions", "GET /v1/me", "GET /v1/gyms/{slug}/members/at-risk", "GET /v1/gyms/{slug}/missions",
        "PATCH /v1/gyms/{slug}/missions/{mission_id}", "GET /v1/gyms/{slug}/sessions",
        "GET /v1/gyms/{slug}/sessions/{session_id}", "GET /v1/gyms/{slug}/stats", "GET /healthz", "GET /readyz"}
    seen: dict[str, set[int]] = {}

    def fuzz(strategy, statuses: set[int]):
        @given(case=strategy)
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case) -> None:
            statuses.add(case.call_and_validate(headers=dict(headers), checks=CHECKS).status_code)
        return run

    for operation in operations:
        # random slugs (mostly 404), and the demo gym's, so that generated queries reach the SQL behind
        variants = [{}, {"slug": "paris-bastille"}] if "{slug}" in operation.path else [{}]
        for path_parameters in variants:
            run = fuzz(operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None),
                       seen.setdefault(operation.label, set()))
            try:
                run()
            except Unsatisfiable:  # nothing of this operation can be made invalid (no parameters, no body)
                assert mode is GenerationMode.NEGATIVE, operation.label
    if mode is GenerationMode.POSITIVE:  # valid requests get through: a session opens, a gym's stats come back
        assert 201 in seen["POST /v1/kiosk/sessions"] and 200 in seen["GET /v1/gyms/{slug}/stats"]
