"""Plotly figures and display images for the pages. Builders return figures; they never render."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

# One colour per model or run, indigo (the app's primary colour) first.
PALETTE = ["#4f46e5", "#e11d48", "#059669", "#d97706", "#0891b2", "#7c3aed"]
FONT = dict(family="Inter, system-ui, sans-serif", size=13)


def upscale(image: np.ndarray, scale: int = 8) -> np.ndarray:
    """A [0, 1] float or uint8 image enlarged by pixel repetition, as uint8 for ``st.image``."""
    img = np.asarray(image)
    if img.dtype != np.uint8:
        img = (np.clip(np.nan_to_num(img), 0.0, 1.0) * 255).round().astype(np.uint8)
    return np.kron(img, np.ones((scale, scale), dtype=np.uint8))


# Anchor colours of a perceptually ordered map (dark blue -> teal -> yellow), 256 steps.
_ANCHORS = np.array(
    [
        [13, 8, 135],
        [84, 2, 163],
        [139, 10, 165],
        [185, 50, 137],
        [219, 92, 104],
        [244, 136, 73],
        [254, 188, 43],
        [240, 249, 33],
    ],
    float,
)
COLORMAP = np.stack(
    [
        np.interp(np.linspace(0, 1, 256), np.linspace(0, 1, len(_ANCHORS)), _ANCHORS[:, i])
        for i in range(3)
    ],
    axis=1,
).astype(np.uint8)


def map_grid(maps: np.ndarray, columns: int, scale: int = 4, gap: int = 2) -> np.ndarray:
    """(H, W, C) maps as one RGB mosaic, each map coloured on its own range."""
    h, w, n = maps.shape
    v = np.asarray(maps, dtype=np.float32)
    low, high = v.min(axis=(0, 1)), v.max(axis=(0, 1))  # (C,) per-map range
    idx = ((v - low) / np.where(high > low, high - low, 1.0) * 255).astype(np.uint8)
    tiles = COLORMAP[idx].repeat(scale, 0).repeat(scale, 1)  # (H*s, W*s, C, 3)
    th, tw = h * scale + gap, w * scale + gap
    rows = -(-n // columns)
    out = np.full((rows * th - gap, columns * tw - gap, 3), 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        out[r * th : r * th + h * scale, c * tw : c * tw + w * scale] = tiles[:, :, i]
    return out


def saliency_overlay(image: np.ndarray, saliency: np.ndarray, scale: int = 8) -> np.ndarray:
    """The 28x28 input in grey with evidence for the class in red and against it in blue."""
    grey = np.clip(np.asarray(image, np.float32), 0, 1) * 0.6
    limit = float(np.abs(saliency).max()) or 1.0
    pos = np.clip(saliency / limit, 0, 1)
    neg = np.clip(-saliency / limit, 0, 1)
    rgb = np.stack([grey + pos * 0.9, grey * (1 - 0.5 * (pos + neg)), grey + neg * 0.9], -1)
    rgb = (np.clip(rgb, 0, 1) * 255).astype(np.uint8)
    return np.kron(rgb, np.ones((scale, scale, 1), np.uint8))


def confusion_heatmap(confusion: np.ndarray, normalise: bool = False) -> go.Figure:
    """True digits down, predicted across; the diagonal greyed so the errors stand out.

    Cell colour is the count (or the share of its row when ``normalise``) of the off-diagonal
    cells only; every cell is annotated and hovering shows true, predicted and count.
    """
    cm = np.asarray(confusion, dtype=float)
    rows = cm.sum(1, keepdims=True)
    shown = cm / np.where(rows == 0, 1, rows) if normalise else cm
    errors = shown.copy()
    np.fill_diagonal(errors, np.nan)
    diagonal = np.full_like(shown, np.nan)
    np.fill_diagonal(diagonal, shown.diagonal())
    text = [[f"{v:.1%}" if normalise else f"{int(v)}" for v in row] for row in shown]
    digits = [str(d) for d in range(10)]
    hover = "true %{y}, predicted %{x}<br>%{customdata} images<extra></extra>"
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(
            z=diagonal,
            x=digits,
            y=digits,
            colorscale=[[0, "#eef0f4"], [1, "#eef0f4"]],
            showscale=False,
            text=text,
            texttemplate="%{text}",
            customdata=cm.astype(int),
            hovertemplate=hover,
            textfont=dict(color="#9ca3af"),
            xgap=2,
            ygap=2,
        )
    )
    fig.add_trace(
        go.Heatmap(
            z=errors,
            x=digits,
            y=digits,
            colorscale="OrRd",
            text=text,
            texttemplate="%{text}",
            customdata=cm.astype(int),
            hovertemplate=hover,
            xgap=2,
            ygap=2,
            colorbar=dict(title="share" if normalise else "errors", thickness=12),
            zmin=0,
            zmax=max(float(np.nanmax(errors)) if np.isfinite(errors).any() else 1, 1e-9),
        )
    )
    # Heatmaps cannot be selected in Streamlit; invisible square markers on the cells can,
    # so a click on a cell selects its (predicted, true) point.
    grid_x, grid_y = np.meshgrid(digits, digits)
    fig.add_trace(
        go.Scatter(
            x=grid_x.ravel(),
            y=grid_y.ravel(),
            mode="markers",
            customdata=cm.astype(int).ravel(),
            # An outline that only the selected cell shows.
            marker=dict(
                symbol="square-open", size=36, color="#4f46e5", opacity=0, line=dict(width=3)
            ),
            hovertemplate=hover,
            showlegend=False,
            selected=dict(marker=dict(opacity=1)),
            unselected=dict(marker=dict(opacity=0)),
        )
    )
    for trace in fig.data[:2]:
        trace.hoverinfo = "skip"
        trace.hovertemplate = None
    fig.update_layout(
        height=520,
        margin=dict(l=10, r=10, t=10, b=10),
        font=FONT,
        clickmode="event+select",
        xaxis=dict(title="predicted", side="top", type="category"),
        yaxis=dict(title="true", autorange="reversed", type="category"),
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
        dragmode=False,
    )
    return fig


# Light to dark orange-red (ColorBrewer OrRd) for the errors of a confusion table.
_ERROR_ANCHORS = np.array(
    [[255, 247, 236], [253, 212, 158], [252, 141, 89], [215, 48, 31], [127, 0, 0]], float
)
DIAGONAL_CSS = "background-color: #eef0f4; color: #9ca3af"


def confusion_cell_css(confusion: np.ndarray, normalise: bool = False) -> list[list[str]]:
    """CSS for each cell of a confusion table: errors tinted by size, the diagonal greyed.

    The tint of an off-diagonal cell grows with its count (or its share of the true digit's
    images when ``normalise``), relative to the largest error; empty cells stay white.

    Args:
        confusion: (10, 10) counts, [true][predicted].
        normalise: tint by each row's share instead of the count.

    Returns:
        Ten rows of ten CSS declarations (``background-color`` and ``color``).

    Raises:
        ValueError: if ``confusion`` is not a square matrix.
    """
    cm = np.asarray(confusion, dtype=float)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"confusion must be a square matrix, got shape {cm.shape}")
    rows = cm.sum(1, keepdims=True)
    shown = cm / np.where(rows == 0, 1, rows) if normalise else cm
    errors = shown.copy()
    np.fill_diagonal(errors, 0)
    top = float(errors.max()) or 1.0
    steps = np.linspace(0, 1, len(_ERROR_ANCHORS))
    css = []
    for t, row in enumerate(errors):
        line = []
        for p, v in enumerate(row):
            if t == p:
                line.append(DIAGONAL_CSS)
            elif v == 0:
                line.append("background-color: #ffffff; color: #d1d5db")
            else:
                x = 0.15 + 0.85 * v / top  # the smallest error is still visibly tinted
                r, g, b = (int(np.interp(x, steps, _ERROR_ANCHORS[:, i])) for i in range(3))
                ink = "#ffffff" if x > 0.6 else "#1f2937"
                line.append(f"background-color: #{r:02x}{g:02x}{b:02x}; color: {ink}")
        css.append(line)
    return css


def difference_heatmap(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> go.Figure:
    """Mistakes of A minus mistakes of B per cell: red where A errs more, blue where B does.

    The diagonal (correct answers) is left blank: its sign means the opposite.
    """
    diff = (np.asarray(a, dtype=int) - np.asarray(b, dtype=int)).astype(float)
    np.fill_diagonal(diff, np.nan)
    limit = max(1.0, float(np.nanmax(np.abs(diff))))
    digits = [str(d) for d in range(10)]
    text = [["" if not np.isfinite(v) or v == 0 else f"{int(v):+d}" for v in row] for row in diff]
    fig = go.Figure(
        go.Heatmap(
            z=diff,
            x=digits,
            y=digits,
            colorscale="RdBu_r",
            zmid=0,
            zmin=-limit,
            zmax=limit,
            text=text,
            texttemplate="%{text}",
            xgap=2,
            ygap=2,
            hoverongaps=False,
            hovertemplate=(
                f"true %{{y}}, predicted %{{x}}<br>{name_a} minus {name_b}: %{{z:+d}}"
                "<extra></extra>"
            ),
            colorbar=dict(title="A minus B", thickness=12),
        )
    )
    fig.update_layout(
        height=480,
        margin=dict(l=10, r=10, t=10, b=10),
        font=FONT,
        xaxis=dict(title="predicted", side="top", type="category"),
        yaxis=dict(title="true", autorange="reversed", type="category"),
        plot_bgcolor="#f3f4f6",
    )
    return fig


def training_curves(histories: dict[str, list[dict[str, float]]]) -> go.Figure:
    """Loss and accuracy per epoch: training solid, validation dashed, one colour per model."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"))
    for i, (name, history) in enumerate(histories.items()):
        color = PALETTE[i % len(PALETTE)]
        epochs = [h["epoch"] for h in history]
        for col, metric in ((1, "loss"), (2, "accuracy")):
            for prefix, dash in (("", "solid"), ("val_", "dash")):
                fig.add_trace(
                    go.Scatter(
                        x=epochs,
                        y=[h[prefix + metric] for h in history],
                        mode="lines+markers",
                        line=dict(color=color, dash=dash, width=2),
                        marker=dict(size=4),
                        name=f"{name} {'validation' if prefix else 'training'}",
                        legendgroup=name,
                        showlegend=col == 1,
                        hovertemplate=f"{name}<br>epoch %{{x}}<br>{prefix}{metric} %{{y:.4f}}"
                        "<extra></extra>",
                    ),
                    row=1,
                    col=col,
                )
    fig.update_xaxes(title_text="epoch")
    fig.update_layout(
        height=360,
        margin=dict(l=10, r=10, t=30, b=10),
        font=FONT,
        legend=dict(orientation="h", y=-0.25),
        hovermode="closest",
    )
    return fig


def _digit_bars(series: dict[str, list[float]], unit: str, decimals: int) -> go.Figure:
    """One bar per digit 0-9 for each named series, grouped by digit, one colour per series."""
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        fig.add_trace(
            go.Bar(
                x=[str(d) for d in range(10)],
                y=[float(v) for v in values],  # plain floats: readable figure JSON
                name=name,
                marker_color=PALETTE[i % len(PALETTE)],
                hovertemplate=f"{name}<br>digit %{{x}}: %{{y:.{decimals}f}}{unit}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group", font=FONT)
    return fig


def per_class_accuracy(accuracies: dict[str, list[float]]) -> go.Figure:
    """Accuracy per digit, grouped bars, one group per digit and one colour per model."""
    fig = _digit_bars({n: list(np.asarray(a) * 100) for n, a in accuracies.items()}, "%", 2)
    lows = [min(trace.y) for trace in fig.data]
    floor = max(0.0, min(lows) - 1.0) if lows else 0.0
    fig.update_layout(
        height=320,
        margin=dict(l=10, r=10, t=10, b=10),
        yaxis=dict(title="accuracy (%)", range=[floor, 100.2]),
        xaxis=dict(title="digit", type="category"),
        legend=dict(orientation="h", y=-0.3),
    )
    return fig


def probability_bars(probabilities: dict[str, list[float]]) -> go.Figure:
    """Each model's ten probabilities for one drawing: grouped bars, one colour per model.

    Args:
        probabilities: model name -> ten probabilities (in display order).

    Raises:
        ValueError: if a model does not have ten probabilities.
    """
    for name, probs in probabilities.items():
        if len(probs) != 10:
            raise ValueError(f"{name}: expected 10 probabilities, got {len(probs)}")
    fig = _digit_bars({n: [p * 100 for p in probs] for n, probs in probabilities.items()}, "%", 1)
    # The legend sits at the top of the figure (not of the plot): a legend placed over the
    # plot that wraps onto more lines (five models at laptop width) covered the top of the
    # bars, so 100% read as 76%; under the plot it covered the digits. Plotly grows the top
    # margin to fit it; the height grows with the lines it may need.
    fig.update_layout(
        bargap=0.25,
        height=250 + 22 * ((len(probabilities) + 2) // 3),
        margin=dict(l=10, r=10, t=16, b=10),
        yaxis=dict(title="probability (%)", range=[0, 100], dtick=25, fixedrange=True),
        xaxis=dict(title=None, type="category", tickfont=dict(size=15), fixedrange=True),
        legend=dict(orientation="h", x=0, xanchor="left", yref="container", y=1, yanchor="top"),
        showlegend=True,
    )
    return fig
