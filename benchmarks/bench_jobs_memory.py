"""Memory of the app process across training jobs: 10 small jobs back to back.

The job manager lives in this process, as it does in the Streamlit server; each job trains in
its own worker subprocess. Prints this process's RSS before and after (target: growth under
100 MB) and each job's wall time.

    python -m benchmarks.bench_jobs_memory [--jobs 10] [--data PATH]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from lenet.config import LeNetConfig
from lenet.jobs import JobManager


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10, help="(default: 10)")
    parser.add_argument(
        "--data", default=os.environ.get("MNIST_PATH"), help="MNIST .npz (default: $MNIST_PATH)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        manager = JobManager(Path(home), data_path=args.data)
        manager.start_background()
        before = rss_mb()
        print(f"app process RSS before: {before:.1f} MB")
        for i in range(args.jobs):
            config = LeNetConfig(train_subset=2000, epochs=1, seed=i)
            start = time.perf_counter()
            job = manager.wait(manager.submit(config, f"bench-{i}").id, timeout_s=300)
            accuracy = job.result.accuracy
            print(
                f"job {i + 1}: {job.state} in {time.perf_counter() - start:.1f} s, "
                f"test accuracy {float('nan') if accuracy is None else accuracy:.2%}, "
                f"RSS {rss_mb():.1f} MB"
            )
        after = rss_mb()
        manager.shutdown()
    print(
        f"app process RSS after {args.jobs} jobs: {after:.1f} MB "
        f"(growth {after - before:+.1f} MB; target < 100 MB)"
    )


if __name__ == "__main__":
    main()
