"""The mapping of database errors to the typed errors of the data layer (both transports share it)."""

from __future__ import annotations

import pytest

from jarvis_agent.store import Conflict, InvalidInput, NotFound, StoreError, Unavailable
from jarvis_agent.store.errors import GENERIC_MESSAGE, error_from_sqlstate


@pytest.mark.parametrize(("code", "cls", "reason"), [
    ("JN404", NotFound, "class_full"), ("JC409", Conflict, "class_full"), ("JI422", InvalidInput, "class_full"),
    ("23505", Conflict, "duplicate"), ("23P01", Conflict, "overlap"), ("23503", NotFound, "reference_not_found"),
    ("23514", InvalidInput, "check_violation"), ("22007", InvalidInput, "invalid_datetime"),
    ("22P02", InvalidInput, "invalid_value"), ("22003", InvalidInput, "out_of_range"),
    ("22012", InvalidInput, "invalid_value"), ("40001", Unavailable, "serialization_failure"),
    ("40P01", Unavailable, "deadlock"), ("55P03", Unavailable, "lock_timeout"), ("57014", Unavailable, "timeout"),
    ("08006", Unavailable, "connection"), ("53300", Unavailable, "resources"),
    ("57P01", Unavailable, "server_shutdown"),
])
def test_sqlstates_map_to_typed_errors(code: str, cls: type, reason: str) -> None:
    err = error_from_sqlstate(code, "Le cours est complet.", hint="class_full")
    assert type(err) is cls and err.reason == reason and err.sqlstate == code
    if code.startswith("J"):
        assert err.message == "Le cours est complet."  # our own functions' French sentence
    else:
        assert "Le cours" not in err.message  # Postgres' English text stays in `detail`, for logs
        assert err.detail == "Le cours est complet."


@pytest.mark.parametrize("code", ["42P01", "XX000", "PGRST202", None, ""])
def test_anything_else_is_an_internal_error_with_a_safe_message(code: str | None) -> None:
    err = error_from_sqlstate(code, 'relation "secret_table" does not exist')
    assert type(err) is StoreError and err.reason == "internal_error"
    assert err.message == GENERIC_MESSAGE and "secret_table" not in err.message
