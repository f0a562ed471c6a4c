"""Typed errors of the data layer, the same whichever transport raised them.

The SQL functions raise with SQLSTATE JN404 / JC409 / JI422, a French MESSAGE the agent can say and a machine
reason in HINT (see supabase/migrations/*_api_helpers.sql). Postgres' own codes are mapped too: a check or range
violation is invalid input, a unique or exclusion violation a conflict, a lost connection "unavailable". Anything
else is an internal error whose text is kept for logs and never shown to a member.
"""

from __future__ import annotations

GENERIC_MESSAGE = "Je n'arrive pas à accéder aux données de la salle pour le moment."


class StoreError(Exception):
    """An error of the data layer. `message` is French and safe to say; `reason` is stable for code."""

    default_reason = "internal_error"

    def __init__(self, message: str = GENERIC_MESSAGE, *, reason: str | None = None, detail: str = "",
                 sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.detail = detail
        self.sqlstate = sqlstate

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r}, sqlstate={self.sqlstate!r}, message={self.message!r})"


class NotFound(StoreError):
    default_reason = "not_found"


class Conflict(StoreError):
    """The request is valid but the state forbids it: class full, slot taken, ambiguous name…"""

    default_reason = "conflict"


class InvalidInput(StoreError):
    default_reason = "invalid_input"


class Unavailable(StoreError):
    """The database (or PostgREST) cannot be reached or is overloaded; retrying later may work."""

    default_reason = "unavailable"


_OWN_CODES: dict[str, type[StoreError]] = {"JN404": NotFound, "JC409": Conflict, "JI422": InvalidInput}
_PG_CODES: dict[str, tuple[type[StoreError], str, str]] = {
    "23505": (Conflict, "duplicate", "Cette opération a déjà été faite."),
    "23P01": (Conflict, "overlap", "Ce créneau est déjà pris."),
    "23503": (NotFound, "reference_not_found", "Un des éléments demandés n'existe pas."),
    "22007": (InvalidInput, "invalid_datetime", "La date ou l'heure n'est pas valide."),
    "22008": (InvalidInput, "invalid_datetime", "La date ou l'heure n'est pas valide."),
    "22P02": (InvalidInput, "invalid_value", "Une des valeurs demandées n'a pas le bon format."),
    "22003": (InvalidInput, "out_of_range", "Un des nombres demandés est hors limites."),
    "22001": (InvalidInput, "too_long", "Un des textes demandés est trop long."),
    "23514": (InvalidInput, "check_violation", "Une des valeurs demandées n'est pas valide."),
    "23502": (InvalidInput, "missing_value", "Il manque une information."),
    "40001": (Unavailable, "serialization_failure", GENERIC_MESSAGE),
    "40P01": (Unavailable, "deadlock", GENERIC_MESSAGE),
    "57014": (Unavailable, "timeout", GENERIC_MESSAGE),
    "55P03": (Unavailable, "lock_timeout", GENERIC_MESSAGE),
}
# Classes: 22 data exception (bad date, out of range…), 08 connection, 53 resources, 57P operator intervention.
_PG_CLASSES: dict[str, tuple[type[StoreError], str, str]] = {
    "22": (InvalidInput, "invalid_value", "Une des valeurs demandées n'est pas valide."),
    "08": (Unavailable, "connection", GENERIC_MESSAGE),
    "53": (Unavailable, "resources", GENERIC_MESSAGE),
    "57": (Unavailable, "server_shutdown", GENERIC_MESSAGE),
}


def error_from_sqlstate(sqlstate: str | None, message: str | None, hint: str | None = None,
                        detail: str | None = None) -> StoreError:
    """Map a Postgres / PostgREST error to a typed StoreError."""
    code = (sqlstate or "").upper()
    if code in _OWN_CODES:
        return _OWN_CODES[code](message or GENERIC_MESSAGE, reason=hint or None, detail=detail or "", sqlstate=code)
    mapped = _PG_CODES.get(code) or _PG_CLASSES.get(code[:2])
    if mapped is not None:
        cls, reason, french = mapped
        return cls(french, reason=reason, detail=message or "", sqlstate=code)
    return StoreError(GENERIC_MESSAGE, detail=message or "", sqlstate=code or None)
