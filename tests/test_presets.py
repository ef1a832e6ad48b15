import pytest

from lenet import presets
from lenet.config import LeNetConfig
from lenet.train import train


def test_quick_is_a_valid_config_that_survives_json():
    assert isinstance(presets.QUICK, LeNetConfig)
    assert LeNetConfig.from_json(presets.QUICK.to_json()) == presets.QUICK
    assert presets.PRESETS["quick"] is presets.QUICK
    # Chosen on validation images: the preset must keep a validation split.
    assert presets.QUICK.validation_split > 0
    assert presets.QUICK.lr_schedule == "one-cycle"


@pytest.mark.parametrize("name", sorted(presets.PRESETS))
def test_every_preset_trains_a_step_on_tiny_data(small_mnist, name):
    x, y, _, _ = small_mnist
    config = presets.PRESETS[name].replace(train_subset=200)
    result = train(config, (x, y), max_batches=1)
    assert result.status == "dry-run"
    assert result.model.output_shape == (None, 10)
    assert result.train_size + result.val_size == 200
