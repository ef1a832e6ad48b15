"""Plotly figures and display images for the pages. Builders return figures; they never render."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

ACCENT = "#4f46e5"
MUTED = "#c7d2fe"
FONT = dict(family="Inter, system-ui, sans-serif", size=13)


def upscale(image: np.ndarray, scale: int = 8) -> np.ndarray:
    """A [0, 1] float or uint8 image enlarged by pixel repetition, as uint8 for ``st.image``."""
    img = np.asarray(image)
    if img.dtype != np.uint8:
        img = (np.clip(np.nan_to_num(img), 0.0, 1.0) * 255).round().astype(np.uint8)
    return np.kron(img, np.ones((scale, scale), dtype=np.uint8))


def probability_bars(probabilities: list[float], height: int = 220) -> go.Figure:
    """Ten bars, the predicted digit highlighted, probabilities as percentages."""
    p = np.asarray(probabilities, dtype=float)
    top = int(p.argmax())
    colors = [ACCENT if d == top else MUTED for d in range(10)]
    fig = go.Figure(
        go.Bar(
            x=[str(d) for d in range(10)],
            y=p * 100,
            marker_color=colors,
            text=[f"{v:.0%}" if v >= 0.01 else "" for v in p],
            textposition="outside",
            hovertemplate="digit %{x}: %{y:.2f}%<extra></extra>",
            cliponaxis=False,
        )
    )
    fig.update_layout(
        height=height,
        margin=dict(l=8, r=8, t=16, b=8),
        font=FONT,
        showlegend=False,
        yaxis=dict(range=[0, 112], visible=False),
        xaxis=dict(type="category", title=None),
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
        bargap=0.25,
    )
    return fig
