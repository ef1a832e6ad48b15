"""The sweeps' Optuna storage, read through ``lenet.sweep`` (its URL, errors and timeouts)."""

from __future__ import annotations

from typing import Any

from ui.models import store


def sweep_storage() -> str:
    """The sweeps' storage URL: ``$LENET_SWEEP_STORAGE``, else LENET_HOME/sweeps.db."""
    from lenet.sweep import sweep_storage as storage_url

    return storage_url(store().home)


def studies() -> list[str]:
    """Names of the sweep studies in the sweeps' storage (see ``sweep_storage``).

    Raises:
        SweepError: one sentence if the storage cannot be read (bad URL, missing driver, no
            server, a damaged or busy SQLite file).
    """
    import optuna

    from lenet.sweep import open_storage, sqlite_path, storage_errors

    url = sweep_storage()
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        return []  # reading must not create the file
    storage = open_storage(url, busy_timeout_s=2.0)
    with storage_errors(url):
        return sorted(s.study_name for s in optuna.get_all_study_summaries(storage))


def study(name: str) -> Any:
    """One study of the sweeps' storage (raises ``SweepError`` like ``studies``)."""
    import optuna

    from lenet.sweep import open_storage, storage_errors

    url = sweep_storage()
    storage = open_storage(url, busy_timeout_s=2.0)
    with storage_errors(url):
        return optuna.load_study(study_name=name, storage=storage)
