"""Sweep scaling: trials per minute with 1 and 2 worker processes on one study.

For SQLite (a file in a temporary folder) and PostgreSQL (a throwaway cluster on 127.0.0.1,
started here; skipped, saying why, when PostgreSQL is not installed), one worker runs all
``--trials`` trials of a study, then two workers (separate LENET_HOMEs, like two machines) run
half each on a fresh study. Rate = trained trials / (first trial start -> last trial end), so
each worker's TensorFlow start-up is left out (printed apart). Duplicates = trained trials
whose configuration another trained trial of the study already had: must be 0.

The one worker uses every core (TensorFlow's default); each of the two gets
``--threads cores/2``, as the README advises for several workers on one machine, so the two
do not fight over the cores.

    python -m benchmarks.bench_sweep_scaling [--trials 8] [--subset 1000] [--data PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna

from devkit.pg_cluster import ClusterUnavailable, postgres_cluster

ROOT = Path(__file__).resolve().parents[1]

# 4 x 2 x 2 x 3 = 48 configurations: two workers drawing from it collide now and then.
SPACE = {
    "params": {
        "activation": ["relu", "tanh", "elu", "gelu"],
        "batch_size": [32, 64],
        "padding": ["same", "valid"],
        "dropout_fc_1": [0.0, 0.25, 0.5],
    },
    "base": {"epochs": 1},
}


def run_workers(n: int, trials: int, storage: str, study: str, args: argparse.Namespace) -> float:
    """``n`` concurrent ``sweep --here`` processes sharing ``trials``; returns their wall time."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    space = tmp / "space.json"
    space.write_text(json.dumps(SPACE))
    start = time.perf_counter()
    procs = []
    for i in range(n):
        cmd = [
            sys.executable, "-m", "lenet", "sweep", "--here", "--space", str(space),
            "--trials", str(trials // n), "--storage", storage, "--study", study,
            "--subset", str(args.subset), "--data", args.data,
            *(["--threads", str(max(1, (os.cpu_count() or 1) // n))] if n > 1 else []),
        ]  # fmt: skip
        env = {**os.environ, "LENET_HOME": str(tmp / f"home{i}"), "LENET_PRECISION": "fp32"}
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL))
    codes = [p.wait() for p in procs]
    if any(codes):
        raise SystemExit(f"a worker failed: exit codes {codes}")
    return time.perf_counter() - start


def measure(storage: str, study: str) -> dict[str, float]:
    trials = optuna.load_study(study_name=study, storage=storage).trials
    trained = [t for t in trials if "duplicate_of" not in t.user_attrs]
    configs = [json.dumps(t.user_attrs["config"], sort_keys=True) for t in trained]
    first = min(t.datetime_start for t in trained)
    last = max(t.datetime_complete for t in trained)
    minutes = (last - first).total_seconds() / 60
    return {
        "trained": len(trained),
        "skipped": len(trials) - len(trained),
        "per_min": len(trained) / minutes,
        "duplicates": len(configs) - len(set(configs)),
        "workers": len({t.user_attrs["worker"] for t in trained}),
    }


def bench(name: str, storage: str, args: argparse.Namespace) -> None:
    rows = {}
    for n in (1, 2):
        wall = run_workers(n, args.trials, storage, f"scaling-{n}", args)
        rows[n] = {**measure(storage, f"scaling-{n}"), "wall": wall}
        r = rows[n]
        print(
            f"{name:<10} {n} worker(s): {r['trained']} trials, {r['per_min']:5.1f} trials/min "
            f"(wall {wall:5.1f} s with start-up), {r['skipped']} repeats skipped, "
            f"{r['duplicates']} duplicate configurations, {r['workers']} process(es) contributed",
            flush=True,
        )
    print(f"{name:<10} speed-up with 2 workers: {rows[2]['per_min'] / rows[1]['per_min']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8, help="trials per study (default: 8)")
    parser.add_argument(
        "--subset", type=int, default=1000, help="training images per trial (default: 1000)"
    )
    parser.add_argument(
        "--data",
        default=str(ROOT / "tests" / "fixtures" / "mnist_small.npz"),
        help="MNIST .npz (default: the 1,200-image test fixture)",
    )
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()[0]:.2f} (1-min average), {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        bench("sqlite", f"sqlite:///{Path(tmp) / 'sweeps.db'}", args)
    try:
        with postgres_cluster() as url:
            bench("postgresql", url, args)
    except ClusterUnavailable as exc:
        print(f"postgresql skipped: {exc}")
    print(f"load after: {os.getloadavg()[0]:.2f} (1-min average)")


if __name__ == "__main__":
    main()
