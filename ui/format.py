"""Numbers as short, readable text for metric tiles and captions (no Streamlit here)."""

from __future__ import annotations


def short_count(n: float) -> str:
    """61,706 -> '61.7 k'; 1,256,080 -> '1.26 M' (fits a metric tile)."""
    return f"{n / 1e6:.2f} M" if n >= 1e6 else f"{n / 1e3:.1f} k" if n >= 1e4 else f"{n:,.0f}"


def short_bytes(n: float) -> str:
    """A file size in KB under a mebibyte, else in MB: '245 KB', '1.2 MB'."""
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 2**10:.0f} KB"


def _scaled(value: float, units: tuple[tuple[float, str], ...]) -> str:
    """``value`` in the largest unit it reaches (units from large to small), 3 significant."""
    for factor, unit in units:
        if abs(value) >= factor:
            return f"{value / factor:.3g} {unit}"
    return f"{value / units[-1][0]:.3g} {units[-1][1]}" if value else f"0 {units[-1][1]}"


def mass_text(kg: float) -> str:
    """A CO2 mass readable at any size: ``1.2 kg``, ``3.4 g``, ``56 mg``, ``7.8 µg``."""
    return _scaled(kg, ((1.0, "kg"), (1e-3, "g"), (1e-6, "mg"), (1e-9, "µg")))


def energy_text(kwh: float) -> str:
    """An energy readable at any size: ``1.2 kWh``, ``3.4 Wh``, ``56 mWh``, ``7.8 µWh``."""
    return _scaled(kwh, ((1.0, "kWh"), (1e-3, "Wh"), (1e-6, "mWh"), (1e-9, "µWh")))


def duration(seconds: float | None) -> str:
    """'42 s' under a minute, else '3 min 07 s'; '?' when unknown."""
    if seconds is None:
        return "?"
    seconds = max(0, round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"
