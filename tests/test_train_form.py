"""The Train page's form mapping and the config's field specs that drive it (no AppTest)."""

import dataclasses

import pytest

from lenet.config import CLASSIC, SMALL_RUN, LeNetConfig, spec
from lenet.presets import QUICK
from ui.train_form import config_from_form, form_values, number_ranges


@pytest.mark.parametrize(
    "config",
    [
        SMALL_RUN,
        CLASSIC,
        QUICK,
        LeNetConfig(filters=(8, 16, 32), padding="same", batch_norm=(True, False, True),
                    conv_dropout=(0.1, 0.2, 0.3), dense_units=(64,), dense_dropout=(0.5,)),
    ],
)  # fmt: skip
def test_the_form_shows_a_config_and_gives_it_back(config):
    values = form_values(config)
    assert config_from_form(config, values, config.conv_blocks) == config


def test_all_images_show_as_60000_and_come_back_as_none():
    values = form_values(LeNetConfig())
    assert values["train_train_subset"] == 60_000
    assert config_from_form(LeNetConfig(), values, 2).train_subset is None


def test_a_bad_form_value_raises_the_configs_message():
    values = form_values(SMALL_RUN) | {"train_aug_rotation": 90.0}
    with pytest.raises(ValueError, match=r"^aug_rotation=90.0"):
        config_from_form(SMALL_RUN, values, 2)
    with pytest.raises(ValueError):
        config_from_form(SMALL_RUN, form_values(SMALL_RUN) | {"train_dense": "120, x"}, 2)


def test_the_forms_ranges_are_the_configs():
    ranges = number_ranges()
    assert ranges["train_filters2"] == ("Filters 3", 1, 256)
    assert ranges["train_train_subset"] == ("Training images", 100, 60_000)
    assert ranges["train_learning_rate"][1:] == (spec("learning_rate").low, 1.0)
    assert ranges["train_bn_momentum"] == ("BN momentum", 0.5, 0.999)


def test_every_field_has_a_spec_and_the_config_enforces_its_range():
    for f in dataclasses.fields(LeNetConfig):
        s = spec(f.name)
        assert s.label and s.help, f.name
        if s.high is not None and f.name not in ("filters", "dense_units", "conv_dropout",
                                                  "dense_dropout"):  # fmt: skip
            too_big = s.high + (1 if s.integer else 0.5)
            with pytest.raises(ValueError, match=f"^{f.name}="):
                LeNetConfig().replace(**{f.name: int(too_big) if s.integer else too_big})
    with pytest.raises(KeyError):
        spec("no_such_field")
