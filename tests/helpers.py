"""Helpers shared by test files (fixtures live in ``conftest.py``)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def mounted_tmpfs(mount: Path, size: str) -> Iterator[Path]:
    """A real filesystem of ``size`` (e.g. "1m") at ``mount``, unmounted afterwards.

    ``mount -t tmpfs`` needs root; where it fails the calling test skips and says why.
    """
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip() or 'not root'}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill_disk(folder: Path, leave: int = 0) -> None:
    """Fill the filesystem of ``folder`` until ``leave`` bytes or fewer are free."""
    with open(folder / "filler", "wb") as f:
        chunk = b"\0" * 4096
        try:
            while True:
                stat = os.statvfs(folder)
                if stat.f_bavail * stat.f_frsize <= leave:
                    break
                f.write(chunk)
                f.flush()
        except OSError:
            pass


def visible(markdown: str) -> str:
    """What a reader sees of Streamlit markdown whose special characters were escaped."""
    return re.sub(r"\\(.)", r"\1", markdown)
