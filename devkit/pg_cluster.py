"""A throwaway PostgreSQL cluster on 127.0.0.1 for the sweep tests and benchmark.

Debian's ``postgresql`` package (``.ci/run`` installs it) provides ``initdb`` and ``pg_ctl``
under ``/usr/lib/postgresql/VERSION/bin``. PostgreSQL refuses to run as root, so as root the
cluster runs as the ``postgres`` user; its data and socket live in a temporary folder and it
listens on a free port of 127.0.0.1 only, trusting local connections (no password).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class ClusterUnavailable(Exception):
    """PostgreSQL is not installed or would not start here; the message says why."""


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ClusterUnavailable(
        "PostgreSQL is not installed (no initdb; .ci/run installs Debian's postgresql)"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser is None:
        raise ClusterUnavailable("running as root without runuser: cannot start PostgreSQL")
    return [runuser, "-u", "postgres", "--", *cmd]


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """Start a cluster with a database ``lenet``; yields its URL, stops and deletes it after.

    Raises:
        ClusterUnavailable: if PostgreSQL is missing or does not start.
    """
    bin_dir = _bin_dir()
    tmp = Path(tempfile.mkdtemp(prefix="lenet-pg-"))
    data, port = tmp / "data", _free_port()
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
        os.chmod(tmp, 0o700)

    def run(*cmd: str) -> None:
        done = subprocess.run(
            _as_owner(list(cmd)), capture_output=True, text=True, timeout=120, cwd=tmp
        )
        if done.returncode != 0:
            raise ClusterUnavailable(f"{Path(cmd[0]).name} failed: {done.stderr.strip()[-300:]}")

    started = False
    try:
        run(str(bin_dir / "initdb"), "-A", "trust", "-U", "postgres", "-D", str(data))
        run(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(tmp / "log"),
            "-w",
            "-o",
            f"-h 127.0.0.1 -p {port} -k {tmp} -c max_connections=50",
            "start",
        )
        started = True
        deadline = time.monotonic() + 30
        while True:
            try:
                run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "lenet")
                break
            except ClusterUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield f"postgresql://postgres@127.0.0.1:{port}/lenet"
    finally:
        if started:
            subprocess.run(
                _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(tmp, ignore_errors=True)
