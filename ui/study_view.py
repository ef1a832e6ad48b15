"""The Sweep page's view of one study: its trials, its plots, retraining its best trial."""

from __future__ import annotations

import streamlit as st

from lenet.jobs import JobError
from lenet.sweep import SweepError, best_config, trials_table
from lenet.wording import plural
from ui.jobs import job_manager
from ui.messages import flash, show_flash
from ui.sweeps import study as study_of


def study_view(name: str) -> None:
    """A study's trials table, its Optuna plots, and a button to retrain its best trial."""
    study = study_of(name)
    rows = trials_table(study)
    done = [r for r in rows if r["state"] == "complete"]
    skipped = sum(r["state"].startswith("skipped") for r in rows)
    st.markdown(
        f"**{plural(len(rows), 'trial')}**, {len(done)} completed, "
        f"{sum(r['state'] == 'pruned' for r in rows)} pruned"
        + (f", {skipped} skipped (configurations already tried)" if skipped else "")
        + f"; training seed {study.user_attrs.get('training_seed', 0)}"
    )
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={"val_accuracy": st.column_config.NumberColumn(format="%.4f")},
    )
    if len(done) < 2:
        st.info("The plots need at least two completed trials.")
        return
    from optuna import visualization as vis

    tabs = st.tabs(
        ["Validation accuracy over trials", "Parallel coordinates", "Parameter importance"]
    )
    tabs[0].plotly_chart(vis.plot_optimization_history(study), key="sweep_history")
    tabs[1].plotly_chart(vis.plot_parallel_coordinate(study), key="sweep_parallel")
    try:
        tabs[2].plotly_chart(vis.plot_param_importances(study), key="sweep_importance")
    except (RuntimeError, ValueError) as exc:
        tabs[2].info(f"Importance is not available yet: {exc}")
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    left.text_input(
        "Retrain the best trial on all 60,000 training images as",
        value=f"{name}-best",
        key="sweep_model_name",
    )
    right.button("Retrain best", key="sweep_retrain", on_click=retrain, args=(name,))
    show_flash("sweep_retrain_message", keep=True)


def retrain(name: str) -> None:
    """Queue the best trial's configuration on all the training images."""
    try:
        config = best_config(study_of(name)).replace(train_subset=None)
        job = job_manager().submit(config, st.session_state["sweep_model_name"])
    except (JobError, SweepError, ValueError) as exc:
        flash("sweep_retrain_message", "error", str(exc))
    else:
        flash(
            "sweep_retrain_message", "success", f"Queued {job.name}: follow it on the Train page."
        )
