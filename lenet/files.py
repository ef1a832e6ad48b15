"""Where lenet keeps its files, and writes that are never left half-done.

A small module without NumPy or TensorFlow, so the model store, the job manager, the drawings
store, the sweep and the worker process share one home folder and one atomic write.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def lenet_home() -> Path:
    """``LENET_HOME``, or a folder under the user's cache directory."""
    env = os.environ.get("LENET_HOME")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "lenet-studio"


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this id runs.

    Another user's process counts; one that exited and waits for its parent to reap it (a
    zombie) does not.
    """
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):  # no /proc: trust kill
        return True


def write_atomic(path: Path, content: bytes) -> None:
    """Write ``content`` to a temporary file beside ``path``, then rename it into place.

    The file is flushed to disk before the rename, and the folder after it, so a power loss
    leaves the old file or the new one, never a renamed but empty one. On any error (a full
    disk included) the temporary file is removed and the old file is untouched.

    Args:
        path: the file to write; its folder must exist.
        content: the file's new bytes.

    Raises:
        OSError: when the write or the rename fails (the old file is then unchanged).
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_synced(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` in place and flush it to disk (for a folder renamed later).

    Args:
        path: the file to write (created or replaced).
        content: its bytes.

    Raises:
        OSError: when the write fails.
    """
    with open(path, "wb") as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename into it) to disk.

    A no-op where folders cannot be opened (Windows).
    """
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a folder; the file itself is on disk
    finally:
        os.close(fd)


def write_json(path: Path, data: Any, indent: int | None = 1) -> None:
    """Write ``data`` as JSON to ``path`` atomically (see ``write_atomic``).

    Args:
        path: the file to write.
        data: anything ``json.dumps`` accepts.
        indent: passed to ``json.dumps`` (None for one line).

    Raises:
        OSError: when the write fails.
        TypeError: when ``data`` is not JSON-serialisable.
    """
    write_atomic(path, json.dumps(data, indent=indent).encode())


def read_json(path: Path) -> Any:
    """The JSON value in ``path``.

    Raises:
        FileNotFoundError: when the file does not exist.
        OSError: when it cannot be read.
        ValueError: when it is not UTF-8 JSON (``json.JSONDecodeError`` and
            ``UnicodeDecodeError`` are both ``ValueError``).
    """
    return json.loads(path.read_text())


def read_json_or_none(path: Path) -> Any:
    """The JSON value in ``path``, or None when it is missing, unreadable or not JSON."""
    try:
        return read_json(path)
    except (OSError, ValueError):
        return None
