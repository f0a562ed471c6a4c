"""Who is calling: a kiosk (its API key) or a gym manager (a Supabase JWT).

Kiosk keys are 256-bit random strings shown once; the database keeps their SHA-256 (a slow password hash is not
needed for keys of that entropy, and a fast one keeps session opening cheap). Manager tokens are Supabase access
tokens (HS256 with the project's JWT secret, `aud` "authenticated", `sub` the auth user id); without a hosted
Supabase a development secret is generated once in JARVIS_DATA_DIR, and `manager-token` signs with it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import jwt

from jarvis_agent.settings import Settings

from .problems import ProblemError

KEY_PREFIX = "jk_"
AUDIENCE = "authenticated"


@dataclass(frozen=True)
class KioskKey:
    key: str
    hash: str
    prefix: str


def new_kiosk_key() -> KioskKey:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return KioskKey(key=key, hash=hash_key(key), prefix=key[:10])


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def jwt_secret(settings: Settings) -> str:
    """SUPABASE_JWT_SECRET, or (no hosted Supabase) the local development secret, created on first use. A secret
    that cannot sign HS256 safely (empty, short, a PEM key) is refused: the dashboard is then disabled."""
    if settings.supabase_jwt_secret is not None:
        secret = settings.supabase_jwt_secret.get_secret_value().strip()
    elif settings.store_kind == "supabase":
        raise ProblemError(503, "jwt_secret_missing", "Authentification des gérants non configurée.",
                           "Set SUPABASE_JWT_SECRET (Supabase → Project Settings → API → JWT secret).")
    else:
        secret = _development_secret(Path(settings.jarvis_data_dir) / "dev-jwt-secret")
    if len(secret) < 32 or secret.startswith("-----BEGIN"):
        raise ProblemError(503, "jwt_secret_invalid", "Authentification des gérants mal configurée.",
                           "SUPABASE_JWT_SECRET must be the project's HS256 JWT secret (32+ characters), not a key.")
    return secret


def _development_secret(path: Path) -> str:
    """Written whole under a temporary name, then linked into place: concurrent first starts (several uvicorn
    workers) all end up reading the same complete secret."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".dev-jwt-secret.")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
            os.chmod(tmp, 0o600)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def mint_manager_token(secret: str, user_id: UUID, *, email: str | None = None, ttl_s: int = 8 * 3600) -> str:
    """A token shaped like a Supabase access token (for the demo and the tests; production tokens come from
    Supabase Auth)."""
    now = int(time.time())
    claims = {"sub": str(user_id), "aud": AUDIENCE, "role": "authenticated", "iat": now, "exp": now + ttl_s,
              "iss": "jarvis-dev"}
    if email:
        claims["email"] = email
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_manager_token(secret: str, token: str) -> UUID:
    """The auth user id of a valid manager token; 401 for anything else (never saying which check failed)."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE,
                            options={"require": ["exp", "sub", "aud"]}, leeway=30)
        if claims.get("role") != "authenticated":
            raise jwt.InvalidTokenError("not an authenticated user")
        return UUID(str(claims["sub"]))
    except (jwt.PyJWTError, ValueError):
        raise ProblemError(401, "invalid_token", "Jeton de gérant invalide ou expiré.",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
