"""Formatting helpers of ui.format: short, readable numbers; small figures never round to zero."""

import pytest

import ui


@pytest.mark.parametrize(
    ("kg", "text"),
    [
        (0.0, "0 µg"),
        (2.5e-9, "2.5 µg"),
        (0.00004321, "43.2 mg"),
        (0.0012, "1.2 g"),
        (0.5, "500 g"),
        (3.0, "3 kg"),
    ],
)
def test_mass_text(kg, text):
    assert ui.mass_text(kg) == text


@pytest.mark.parametrize(
    ("kwh", "text"),
    [
        (0.0, "0 µWh"),
        (7.0e-7, "700 µWh"),
        (0.0000012, "1.2 mWh"),
        (0.00345, "3.45 Wh"),
        (12.0, "12 kWh"),
    ],
)
def test_energy_text(kwh, text):
    assert ui.energy_text(kwh) == text
