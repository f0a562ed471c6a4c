"""`python -m token_server [serve]` runs the API (uvicorn); the other commands are for operators:

    python -m token_server serve [--host H] [--port P] [--workers N]
    python -m token_server kiosk create --gym paris-bastille --name "Accueil"   # prints the key once
    python -m token_server kiosk list --gym paris-bastille
    python -m token_server kiosk rotate KIOSK_ID [--grace-s 3600]              # prints the new key once
    python -m token_server kiosk revoke KIOSK_ID
    python -m token_server manager-token --gym paris-bastille [--hours 8]      # the demo manager's dashboard token
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from jarvis_agent.logs import logging_config, setup_logging
from jarvis_agent.settings import get_settings
from jarvis_agent.store import Store, StoreError, open_store

from .problems import ProblemError
from .security import jwt_secret, mint_manager_token, new_kiosk_key


def _with_store(action: Callable[[Store], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        store = await open_store(get_settings())
        try:
            return await action(store)
        finally:
            await store.close()
    return asyncio.run(run())


def kiosk_create(args: argparse.Namespace) -> int:
    key = new_kiosk_key()
    kiosk = _with_store(lambda s: s.register_kiosk(args.gym, args.name, key.hash, key.prefix))
    print(json.dumps({**kiosk, "api_key": key.key}, ensure_ascii=False))
    print("Keep this key: it is shown only once (the database keeps its SHA-256). Kiosks send it as X-Kiosk-Key.",
          file=sys.stderr)
    return 0


def kiosk_rotate(args: argparse.Namespace) -> int:
    key = new_kiosk_key()
    kiosk = _with_store(lambda s: s.rotate_kiosk_key(args.kiosk_id, key.hash, key.prefix, args.grace_s))
    print(json.dumps({**kiosk, "api_key": key.key}, ensure_ascii=False))
    return 0


def kiosk_revoke(args: argparse.Namespace) -> int:
    print(json.dumps(_with_store(lambda s: s.revoke_kiosk(args.kiosk_id)), ensure_ascii=False))
    return 0


def kiosk_list(args: argparse.Namespace) -> int:
    for kiosk in _with_store(lambda s: s.list_kiosks(args.gym)):
        print(json.dumps(kiosk, ensure_ascii=False))
    return 0


def manager_token(args: argparse.Namespace) -> int:
    """A manager token for the demo gym's manager (or --user), signed with the configured or development secret."""
    from jarvis_agent.demo import demo_manager_user_id

    user = args.user or demo_manager_user_id(args.gym)
    gyms = _with_store(lambda s: s.manager_gyms(user))
    if not any(g["gym_slug"] == args.gym for g in gyms):
        print(f"user {user} does not manage {args.gym!r} (seed the demo: python -m jarvis_agent.demo seed)",
              file=sys.stderr)
        return 2
    print(mint_manager_token(jwt_secret(get_settings()), user, ttl_s=int(args.hours * 3600)))
    return 0


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    port = args.port or settings.jarvis_token_server_port
    if args.workers > 1:  # one process per worker: /metrics sums their files (token_server/metrics.py)
        from .metrics import use_multiprocess_dir

        use_multiprocess_dir(settings.jarvis_data_dir / f"prometheus-token-server-{port}")
    uvicorn.run("token_server.app:create_app", factory=True, host=args.host or settings.jarvis_token_server_host,
                port=port, workers=args.workers, proxy_headers=True,
                forwarded_allow_ips=settings.jarvis_trusted_proxies, log_level=settings.log_level.lower(),
                log_config=logging_config(settings.log_level, args.log_format or settings.log_format),
                server_header=False)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m token_server", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("serve", help="run the API (the default)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--workers", type=int, default=1)
    s.add_argument("--log-format", choices=["text", "json"], help="default: LOG_FORMAT (text)")
    s.set_defaults(func=serve)
    k = sub.add_parser("kiosk", help="register, list, rotate or revoke kiosk keys").add_subparsers(dest="action",
                                                                                                  required=True)
    c = k.add_parser("create")
    c.add_argument("--gym", required=True)
    c.add_argument("--name", required=True)
    c.set_defaults(func=kiosk_create)
    ls = k.add_parser("list")
    ls.add_argument("--gym", required=True)
    ls.set_defaults(func=kiosk_list)
    r = k.add_parser("rotate")
    r.add_argument("kiosk_id", type=UUID)
    r.add_argument("--grace-s", type=int, default=0, help="the old key keeps working this long (default 0)")
    r.set_defaults(func=kiosk_rotate)
    v = k.add_parser("revoke")
    v.add_argument("kiosk_id", type=UUID)
    v.set_defaults(func=kiosk_revoke)
    m = sub.add_parser("manager-token", help="mint a dashboard token for a gym's demo manager")
    m.add_argument("--gym", required=True)
    m.add_argument("--user", type=UUID, help="the auth user id (default: the demo manager of --gym)")
    m.add_argument("--hours", type=float, default=8.0)
    m.set_defaults(func=manager_token)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    setup_logging(get_settings().log_level, getattr(args, "log_format", None))
    if args.command is None:
        args = parser().parse_args(["serve", *(argv or [])])
    try:
        return args.func(args)
    except StoreError as exc:
        print(f"error: {exc.message} ({exc.reason})", file=sys.stderr)
        return 1
    except ProblemError as exc:
        print(f"error: {exc.title} {exc.detail or ''}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
