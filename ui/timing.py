"""Timing of page runs for the load benchmark (``LENET_TIMING_LOG``)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def timed_run(page: str) -> Iterator[None]:
    """Time one run of a page's script when ``LENET_TIMING_LOG`` names a file.

    Appends ``<unix time> <page> <wall ms> <thread CPU ms> <outcome>`` to that file, where
    outcome is ``done``, or the exception that ended the run (``RerunException`` when a newer
    event interrupted it, ``StopException`` for ``st.stop``). Unset, it costs one environment
    lookup. ``benchmarks/bench_load.py`` reads it to get the server's own time per stroke.
    """
    path = os.environ.get("LENET_TIMING_LOG")
    if not path:
        yield
        return
    start, cpu, outcome = time.perf_counter(), time.thread_time(), "done"
    try:
        yield
    except BaseException as exc:
        outcome = type(exc).__name__
        raise
    finally:
        wall_ms, cpu_ms = (time.perf_counter() - start) * 1e3, (time.thread_time() - cpu) * 1e3
        with open(path, "a") as log:  # one short append per run: lines never interleave
            log.write(f"{time.time():.3f} {page} {wall_ms:.2f} {cpu_ms:.2f} {outcome}\n")
