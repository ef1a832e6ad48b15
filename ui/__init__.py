"""Streamlit glue shared by the pages; only the app imports it. One job per module:

- ``router``: deep links run inside ``app.py``'s navigation (the one Streamlit-internals fix)
- ``models``: cached store listing, predictors, feature readers, filters and reports
- ``drawings``: cached access to the saved drawings
- ``jobs``: the app's job manager (with a launcher hook for tests)
- ``sweeps``: the sweeps' Optuna storage, through ``lenet.sweep``
- ``cards``: a model's answer as an HTML card, and the one "not a digit" notice above them
- ``tables``: pandas Stylers of the pages' tables
- ``widgets``: the sidebar, the model picker, an image grid
- ``messages``: messages a callback leaves for the page to show
- ``format``: numbers as short text (pure, unit-tested)
- ``timing``: page-run timing for the load benchmark
- ``scheduling``: the server's threads under batch scheduling (fewer preemptions per run)

and one module per page section that would make its page long: ``train_form`` (the Train
form, built from ``LeNetConfig``'s field specs), ``runs`` and ``finetune`` (Train),
``draw_input``, ``draw_feedback`` and ``draw_explain`` (Draw), ``confusion`` and ``reevaluate``
(Evaluate), ``study_view`` and ``sweep_progress`` (Sweep), ``drawings_manage`` (My drawings).

Pages call everything as ``ui.<name>``.
"""

from ui.cards import card_style, nondigit_notice, prediction_cards
from ui.drawings import drawing_predictions, drawings_npz, feedback_store
from ui.format import duration, energy_text, mass_text, short_bytes, short_count
from ui.jobs import job_manager, start_jobs, use_launcher
from ui.messages import clear_flash, flash, show_flash
from ui.models import (
    c1_filters,
    clear_store_cache,
    features,
    model_cards,
    predictor,
    report,
    store,
    usable_names,
)
from ui.router import require_router
from ui.scheduling import batch_scheduling
from ui.sweeps import studies, study, sweep_storage
from ui.tables import confusion_table, highlight_best, number_table
from ui.timing import timed_run
from ui.widgets import image_grid, model_picker, sidebar

__all__ = [
    "batch_scheduling",
    "c1_filters",
    "card_style",
    "clear_flash",
    "clear_store_cache",
    "confusion_table",
    "drawing_predictions",
    "drawings_npz",
    "duration",
    "energy_text",
    "features",
    "feedback_store",
    "flash",
    "highlight_best",
    "image_grid",
    "job_manager",
    "mass_text",
    "model_cards",
    "model_picker",
    "nondigit_notice",
    "number_table",
    "prediction_cards",
    "predictor",
    "report",
    "require_router",
    "short_bytes",
    "short_count",
    "sidebar",
    "show_flash",
    "start_jobs",
    "store",
    "studies",
    "study",
    "sweep_storage",
    "timed_run",
    "usable_names",
    "use_launcher",
]
