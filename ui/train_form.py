"""The Train page's form: its widgets, built from ``LeNetConfig``'s field specs, and the
mapping between the form's session-state keys and a config, both ways."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lenet.config import MNIST_TRAIN_SIZE, SMALL_RUN, LeNetConfig, spec
from lenet.presets import QUICK
from ui.jobs import job_manager
from ui.models import store, usable_names

# The fields with one widget each, under the key ``train_<field>``.
FIELDS = (
    "activation",
    "pooling",
    "padding",
    "block_order",
    "bn_momentum",
    "input_size",
    "optimizer",
    "learning_rate",
    "lr_schedule",
    "epochs",
    "batch_size",
    "train_subset",
    "seed",
    "aug_shift",
    "aug_rotation",
    "aug_zoom",
    "aug_shear",
    "aug_stroke",
)
AUGMENTATIONS = ("aug_shift", "aug_rotation", "aug_zoom", "aug_shear", "aug_stroke")
BATCH_SIZES = [16, 32, 64, 128, 256, 512]
PRESET_DEFAULT = "quick: 99% in two epochs (default)"
RECIPES = {PRESET_DEFAULT: QUICK, "small run (20,000 images, 5 epochs)": SMALL_RUN}


def form_values(config: LeNetConfig) -> dict[str, Any]:
    """The form's session-state values showing ``config`` (all images: 60,000 in the form)."""
    values: dict[str, Any] = {f"train_{name}": getattr(config, name) for name in FIELDS}
    values["train_train_subset"] = config.train_subset or MNIST_TRAIN_SIZE
    values["train_blocks"] = config.conv_blocks
    for i in range(3):
        values[f"train_filters{i}"] = (config.filters + (16, 16))[i]
        values[f"train_bn{i}"] = bool((config.batch_norm + (False,) * 3)[i])
        values[f"train_cdrop{i}"] = float((config.conv_dropout + (0.0,) * 3)[i])
    for i in range(2):
        values[f"train_ddrop{i}"] = float((config.dense_dropout + (0.0, 0.0))[i])
    values["train_dense"] = ", ".join(map(str, config.dense_units))
    return values


def config_from_form(base: LeNetConfig, values: dict[str, Any], blocks: int) -> LeNetConfig:
    """The config the form shows: ``base`` (fields without a widget) with the form's values.

    Raises:
        ValueError: a value the config refuses (its message names the field), or dense widths
            that are not integers.
    """
    dense = tuple(int(v) for v in values["train_dense"].replace(",", " ").split())
    changes = {name: values[f"train_{name}"] for name in FIELDS}
    if changes["train_subset"] >= MNIST_TRAIN_SIZE:
        changes["train_subset"] = None
    drops = tuple(values[f"train_ddrop{i}"] for i in range(2))
    return base.replace(
        **changes,
        filters=tuple(values[f"train_filters{i}"] for i in range(blocks)),
        batch_norm=tuple(values[f"train_bn{i}"] for i in range(blocks)),
        conv_dropout=tuple(values[f"train_cdrop{i}"] for i in range(blocks)),
        dense_units=dense,
        dense_dropout=drops[: len(dense)] + (0.0,) * max(0, len(dense) - 2),
    )


def number_ranges() -> dict[str, tuple[str, float, float]]:
    """Each number field's label and range, from the config's specs.

    Streamlit's own min/max would keep the last valid value when a typed one is out of range
    (the field turns red and the run would use the old value), so the fields take any number
    and the page refuses the run, naming the field.
    """

    def field(name: str, label: str | None = None) -> tuple[str, float, float]:
        s = spec(name)
        return (label or s.label, s.low or 0, s.high or 0)

    return {
        "train_blocks": ("Conv blocks", 1, 3),
        **{f"train_filters{i}": field("filters", f"Filters {i + 1}") for i in range(3)},
        "train_bn_momentum": field("bn_momentum"),
        "train_learning_rate": field("learning_rate"),
        "train_train_subset": field("train_subset"),
        "train_seed": field("seed"),
        "ft_lr": ("Learning rate (Adam)", 1e-5, 1e-2),
        "ft_images": ("MNIST images mixed in", 1000, MNIST_TRAIN_SIZE),
    }


def out_of_range(keys: list[str]) -> str:
    """The first of ``keys`` whose number is outside its range, as a sentence; else ""."""
    ranges = number_ranges()
    for key in keys:
        label, low, high = ranges[key]
        value = st.session_state.get(key)
        if value is not None and not low <= value <= high:
            return f"{label} must be between {low:,} and {high:,} (it is {value:,}): not started."
    return ""


def load_preset(config: LeNetConfig) -> None:
    """Put a configuration into the form's widgets (fields without a widget ride along)."""
    st.session_state["train_base"] = config
    for key, value in form_values(config).items():
        st.session_state[key] = value


def on_preset() -> None:
    name = st.session_state["train_preset"]
    load_preset(RECIPES[name] if name in RECIPES else store().config(name))


def on_dropout_shortcut() -> None:
    rate = st.session_state["train_dropout"]
    for key in [f"train_cdrop{i}" for i in range(3)] + ["train_ddrop0", "train_ddrop1"]:
        st.session_state[key] = rate


def _choice(name: str, radio: bool = False, explained: bool = False) -> None:
    s = spec(name)
    help_text = s.help if explained else None
    if radio:
        st.radio(s.label, s.choices, key=f"train_{name}", horizontal=True, help=help_text)
    else:
        st.selectbox(s.label, s.choices, key=f"train_{name}", help=help_text)


def _architecture() -> int:
    """The architecture column; returns the number of conv blocks laid out."""
    st.markdown("**Architecture**")
    for name in ("activation", "pooling", "padding"):
        _choice(name)
    _choice("input_size", radio=True)
    st.number_input("Conv blocks", step=1, key="train_blocks", help="1 to 3")
    blocks = min(max(int(st.session_state["train_blocks"]), 1), 3)  # a bad value is refused
    cols = st.columns(3)
    for i in range(blocks):
        cols[i].number_input(f"Filters {i + 1}", step=1, key=f"train_filters{i}")
        cols[i].checkbox("BN", key=f"train_bn{i}", help="batch normalisation in this block")
    _choice("block_order", explained=True)
    momentum = spec("bn_momentum")
    st.number_input(
        momentum.label, step=momentum.step, format="%.3f", key="train_bn_momentum",
        help=momentum.help,
    )  # fmt: skip
    st.text_input("Dense widths", key="train_dense", help="e.g. 120, 84")
    return blocks


def _regularisation(blocks: int) -> None:
    drop = spec("conv_dropout")
    st.markdown("**Regularisation**")
    st.slider(
        "Dropout (sets every layer)", drop.low, drop.high, 0.0, drop.step,
        key="train_dropout", on_change=on_dropout_shortcut,
    )  # fmt: skip
    with st.expander("Dropout per layer"):
        for i in range(blocks):
            st.slider(
                f"after conv block {i + 1}", drop.low, drop.high, step=drop.step,
                key=f"train_cdrop{i}",
            )  # fmt: skip
        for i, label in enumerate(("after C5 (dense 1)", "after F6 (dense 2)")):
            st.slider(label, drop.low, drop.high, step=drop.step, key=f"train_ddrop{i}")
    st.markdown("**Augmentation**")
    for name in AUGMENTATIONS:
        s = spec(name)
        st.slider(s.label, s.low, s.high, step=s.step, key=f"train_{name}")


def _training() -> None:
    st.markdown("**Training**")
    _choice("optimizer")
    st.number_input(spec("learning_rate").label, format="%.4f", key="train_learning_rate")
    _choice("lr_schedule")
    st.slider("Epochs", 1, job_manager().limits.max_epochs, key="train_epochs")
    st.select_slider("Batch size", BATCH_SIZES, key="train_batch_size")
    st.number_input("Training images (stratified subset)", step=1000, key="train_train_subset")
    st.number_input("Seed", step=1, key="train_seed")


def form() -> LeNetConfig | None:
    """The form, and the config it describes; None (with the reason shown) when refused."""
    st.selectbox("Start from", [*RECIPES, *usable_names()], key="train_preset", on_change=on_preset)
    arch, reg, fit = st.columns(3, gap="large")
    with arch:
        blocks = _architecture()
    with reg:
        _regularisation(blocks)
    with fit:
        _training()
    keys = ["train_blocks", *(f"train_filters{i}" for i in range(blocks))]
    numbers = [*keys, "train_bn_momentum", "train_learning_rate", "train_train_subset"]
    problem = out_of_range([*numbers, "train_seed"])
    if problem:
        st.error(problem)
        return None
    try:
        return config_from_form(st.session_state["train_base"], st.session_state, blocks)
    except ValueError as exc:
        st.error(f"Invalid setting: {exc}")
        return None
