"""python -m analytics sweep | train | evaluate | score — Layer 3 on the embedded Redis and Postgres by default.

  worker [--burst] [--sweep-every N]      run the RQ worker on "analytics" (and the sweeper every N s), with
         [--log-format text|json]        Prometheus metrics on JARVIS_ANALYTICS_METRICS_PORT
  sweep [--every N]                       enqueue the analytics of sessions left pending (or stuck)
  train [--dataset CSV] [--out DIR]       fit the cold-start churn model on the public dataset (ships in the package)
  train --gym SLUG [--months 12]          fit a gym's own model from its history (at least 50 departures)
  evaluate --dataset CSV                  5-fold cross-validated ROC-AUC, PR-AUC, Brier score: one JSON line
  score --gym SLUG [--model DIR]          score every active member of a gym and write the scores back
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from pathlib import Path

from jarvis_agent.logs import setup_logging
from jarvis_agent.settings import REPO_ROOT, get_settings
from jarvis_agent.store import NotFound, services

from .sweep import SweepReport, sweep, sweep_every

PUBLIC_DATASET = REPO_ROOT.parent / "shared" / "data" / "gym_churn_us.csv"


async def _sweep(args: argparse.Namespace) -> int:
    def report(result: SweepReport) -> None:
        print(json.dumps(result.as_dict()), flush=True)

    if args.every:
        await sweep_every(args.every, threading.Event(), report=report, limit=args.limit,
                          stale_seconds=args.stale_seconds)
        return 0
    settings = get_settings()
    store = await services.open_store(settings)
    connection = services.redis_connection(settings, timeout=5.0)
    try:
        report(await sweep(store, connection, limit=args.limit, stale_seconds=args.stale_seconds))
        return 0
    finally:
        await store.close()
        connection.close()


async def _train_gym(args: argparse.Namespace) -> int:
    from .training import NotEnoughHistory, gym_model_dir, train_for_gym

    settings = get_settings()
    store = await services.open_store(settings.model_copy(update={"db_statement_timeout_ms": 600_000}))
    try:
        gym = (await store.session_context(args.gym))["gym"]
        print(f"reading {args.months} monthly snapshots of {args.gym}…", file=sys.stderr, flush=True)
        try:
            model = await train_for_gym(store, gym["id"], args.gym, months=args.months, out=args.out)
        except NotEnoughHistory as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 3
        print(json.dumps({"model": str(args.out or gym_model_dir(args.gym)), "version": model.version,
                          "rows": model.meta["rows"], "churned": model.meta["positives"],
                          **model.meta["cv_metrics"]}))
        return 0
    finally:
        await store.close()


def _train(args: argparse.Namespace) -> int:
    from .churn import DEFAULT_MODEL, ChurnModel
    from .features import load_public_dataset

    x, y = load_public_dataset(args.dataset)
    print(f"training on {len(y)} members ({int(y.sum())} churned), 5-fold calibration…", file=sys.stderr, flush=True)
    model = ChurnModel.train(x, y, version=args.version, data=f"{args.dataset.name} (public Model Fitness dataset)")
    out = args.out or DEFAULT_MODEL
    model.save(out)
    print(json.dumps({"model": str(out), "version": model.version, **model.meta["cv_metrics"]}))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .churn import cross_validate
    from .features import load_public_dataset

    x, y = load_public_dataset(args.dataset)
    metrics, _ = cross_validate(x, y)
    print(json.dumps({"dataset": args.dataset.name, "rows": len(y), "folds": 5,
                      **{k: round(v, 4) for k, v in metrics.items()}}))
    return 0


async def _score(args: argparse.Namespace) -> int:
    from .churn import ChurnModel
    from .scoring import level_counts, score_members
    from .training import model_for

    model = ChurnModel.load(args.model) if args.model else model_for(args.gym)
    store = await services.open_store(get_settings())
    try:
        gym = (await store.session_context(args.gym))["gym"]
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            print(f"  {done}/{total} members scored", file=sys.stderr, flush=True)
        scores = await score_members(store, model, gym["id"], progress=progress)
        print(json.dumps({"gym": args.gym, "scored": len(scores), "levels": level_counts(scores),
                          "model_version": model.version, "seconds": round(time.perf_counter() - started, 3)}))
        return 0
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("worker", help="run the RQ worker on the queue analytics (with the sweeper)")
    p.add_argument("--burst", action="store_true", help="process what is queued, then exit")
    p.add_argument("--sweep-every", type=float, default=60.0, help="seconds between sweeps (0: no sweeper)")
    p.add_argument("--log-format", choices=["text", "json"], help="default: LOG_FORMAT (text)")
    p = sub.add_parser("sweep", help="enqueue the analytics of sessions left pending (or stuck)")
    p.add_argument("--every", type=float, default=0, help="repeat every N seconds (0: once)")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--stale-seconds", type=int, default=600, help="re-enqueue queued/processing sessions older than")
    p = sub.add_parser("train", help="fit the cold-start churn model on the public dataset")
    p.add_argument("--dataset", type=Path, default=PUBLIC_DATASET)
    p.add_argument("--out", type=Path, help="model folder (default: the packaged analytics/models/churn-public-v1)")
    p.add_argument("--version", default="churn-public-v1")
    p.add_argument("--gym", help="train on this gym's own history instead (saved in JARVIS_DATA_DIR/models)")
    p.add_argument("--months", type=int, default=12, help="monthly snapshots of the gym's history")
    p = sub.add_parser("evaluate", help="5-fold cross-validated metrics of the churn model on a dataset")
    p.add_argument("--dataset", type=Path, default=PUBLIC_DATASET)
    p = sub.add_parser("score", help="score every active member of a gym and write the scores")
    p.add_argument("--gym", required=True)
    p.add_argument("--model", type=Path, help="model folder (default: the gym's own model if trained, else the "
                   "packaged cold-start model)")
    args = parser.parse_args(argv)
    setup_logging(get_settings().log_level, getattr(args, "log_format", None))
    try:
        if args.command == "worker":
            from .worker import run_worker

            run_worker(burst=args.burst, sweep_every=args.sweep_every)
            return 0
        if args.command == "train" and args.gym:
            return asyncio.run(_train_gym(args))
        if args.command in ("train", "evaluate"):
            return _train(args) if args.command == "train" else _evaluate(args)
        return asyncio.run(_sweep(args) if args.command == "sweep" else _score(args))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except NotFound as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        services.stop_embedded()


if __name__ == "__main__":
    sys.exit(main())
