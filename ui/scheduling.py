"""The server's threads under Linux's batch scheduling: a page run is not cut into pieces.

Streamlit runs each page's script in a thread and hands every element it sends (about 27 per
run of the Draw page) to the event loop's thread, waking that thread once per element. Under
the default policy each wake-up preempts the script. Measured with ``benchmarks/bench_load.py``
(server and training worker on one core): ~30 involuntary context switches per run of the Draw
page, and a wall time 4x its CPU time. ``SCHED_BATCH`` threads do not preempt one another on
wake-up: the event loop sends a run's elements when the script yields. With it, the same
benchmark measured 5.5 instead of 28 involuntary switches per run, and a mean run of 53-59 ms
instead of 71-79 ms of wall time for the same 16-18 ms of CPU. The price: a server thread that
wakes while the training worker runs waits for the next scheduler tick (a few ms) instead of
preempting it; the worker's lower priority (``lenet.worker.lower_priority``) then gives the
server the CPU.
"""

from __future__ import annotations

import os

_applied = False


def batch_scheduling() -> bool:
    """Put every thread of this process under ``SCHED_BATCH``, once per process.

    Threads started later inherit the policy from the thread that starts them (Streamlit's
    script threads from the event loop's). Needs no privilege; where the platform has no such
    policy or refuses it, nothing changes.

    Returns:
        True when this call switched at least one thread.
    """
    global _applied
    if _applied or not hasattr(os, "SCHED_BATCH"):
        return False
    _applied, switched = True, False
    try:
        threads = os.listdir("/proc/self/task")
    except OSError:  # no /proc: not Linux
        return False
    for tid in threads:
        try:
            os.sched_setscheduler(int(tid), os.SCHED_BATCH, os.sched_param(0))
            switched = True
        except OSError:  # the thread ended meanwhile, or the policy is refused
            continue
    return switched
