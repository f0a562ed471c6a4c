"""`python -m token_server kiosk …` and `manager-token`, as an operator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from uuid import UUID

from jarvis_agent.settings import REPO_ROOT
from token_server.security import hash_key, verify_manager_token

from ..conftest import sql


def cli(db_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url, "JARVIS_DATA_DIR": str(data_dir), "JARVIS_AUTO_MIGRATE": "false",
           "SUPABASE_JWT_SECRET": ""}
    return subprocess.run([sys.executable, "-m", "token_server", *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_kiosk_keys_are_created_shown_once_rotated_and_revoked(db_url, tmp_path) -> None:
    created = cli(db_url, tmp_path, "kiosk", "create", "--gym", "paris-bastille", "--name", "Accueil")
    assert created.returncode == 0, created.stderr
    kiosk = json.loads(created.stdout)
    key = kiosk["api_key"]
    assert key.startswith("jk_") and len(key) > 40 and "shown only once" in created.stderr
    stored = sql(db_url, "select key_hash, key_prefix from kiosks where id = %s", kiosk["kiosk_id"])
    assert stored == [(hash_key(key), key[:10])]
    assert not sql(db_url, "select 1 from kiosks where key_hash = %s or key_prefix = %s", key, key)  # never in clear

    duplicate = cli(db_url, tmp_path, "kiosk", "create", "--gym", "paris-bastille", "--name", "Accueil")
    assert duplicate.returncode == 1 and "Traceback" not in duplicate.stderr
    unknown_gym = cli(db_url, tmp_path, "kiosk", "create", "--gym", "nowhere", "--name", "Accueil")
    assert unknown_gym.returncode == 1 and "salle" in unknown_gym.stderr.lower()

    rotated = json.loads(cli(db_url, tmp_path, "kiosk", "rotate", kiosk["kiosk_id"], "--grace-s", "60").stdout)
    assert rotated["api_key"] != key and rotated["previous_key_expires_at"]
    assert sql(db_url, "select key_hash, previous_key_hash from kiosks where id = %s", kiosk["kiosk_id"]) == \
        [(hash_key(rotated["api_key"]), hash_key(key))]
    listed = [json.loads(line) for line in cli(db_url, tmp_path, "kiosk", "list", "--gym", "paris-bastille")
              .stdout.splitlines()]
    assert [k["name"] for k in listed] == ["Accueil"] and "api_key" not in listed[0]
    revoked = cli(db_url, tmp_path, "kiosk", "revoke", kiosk["kiosk_id"])
    assert revoked.returncode == 0 and json.loads(revoked.stdout)["revoked_at"]


def test_manager_token_signs_for_the_demo_manager_with_the_local_development_secret(db_url, tmp_path, demo) -> None:
    minted = cli(db_url, tmp_path, "manager-token", "--gym", "paris-bastille", "--hours", "1")
    assert minted.returncode == 0, minted.stderr
    secret_file = tmp_path / "dev-jwt-secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert verify_manager_token(secret_file.read_text().strip(), minted.stdout.strip()) == demo.paris_manager
    stranger = cli(db_url, tmp_path, "manager-token", "--gym", "lyon-part-dieu", "--user", str(UUID(int=1)))
    assert stranger.returncode == 2 and "does not manage" in stranger.stderr
