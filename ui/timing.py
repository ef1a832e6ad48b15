"""Timing of page runs for the load benchmark (``LENET_TIMING_LOG``)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Run:
    """What a page says about its run, for the log: ``kind`` is ``drawing`` when the Draw
    page read a drawing (a stroke's run), ``empty`` when it had none (a page load, a Clear)."""

    kind: str = "-"


@contextmanager
def timed_run(page: str) -> Iterator[Run]:
    """Time one run of a page's script when ``LENET_TIMING_LOG`` names a file.

    Appends ``<unix time> <page> <wall ms> <thread CPU ms> <outcome> <kind>`` to that file,
    where outcome is ``done``, or the exception that ended the run (``RerunException`` when a
    newer event interrupted it, ``StopException`` for ``st.stop``), and kind is what the page
    set on the yielded ``Run``. Unset, it costs one environment lookup.
    ``benchmarks/bench_load.py`` reads it to get the server's own time per stroke.
    """
    run = Run()
    path = os.environ.get("LENET_TIMING_LOG")
    if not path:
        yield run
        return
    start, cpu, outcome = time.perf_counter(), time.thread_time(), "done"
    try:
        yield run
    except BaseException as exc:
        outcome = type(exc).__name__
        raise
    finally:
        wall_ms, cpu_ms = (time.perf_counter() - start) * 1e3, (time.thread_time() - cpu) * 1e3
        with open(path, "a") as log:  # one short append per run: lines never interleave
            log.write(f"{time.time():.3f} {page} {wall_ms:.2f} {cpu_ms:.2f} {outcome} {run.kind}\n")
