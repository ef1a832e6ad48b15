import json

import pytest

from lenet.config import CLASSIC, LeNetConfig


def test_defaults_are_the_classic_shape():
    c = LeNetConfig()
    assert c.filters == (6, 16) and c.dense_units == (120, 84) and c.conv_blocks == 2
    assert c.feature_map_sizes() == [12, 4]
    assert CLASSIC.feature_map_sizes() == [14, 5]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"activation": "swish"}, "activation"),
        ({"pooling": "sum"}, "pooling"),
        ({"padding": "full"}, "padding"),
        ({"c3_connections": "sparse"}, "c3_connections"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"lr_schedule": "step"}, "lr_schedule"),
        ({"input_size": 30}, "input_size"),
        ({"input_range": "minus1to1"}, "input_range"),
        ({"filters": ()}, "filters"),
        ({"filters": (6, 16, 16, 16)}, "filters"),
        ({"filters": (6, 0)}, "filters"),
        ({"filters": (6.5, 16)}, "filters"),
        ({"kernel_size": 9}, "kernel_size"),
        ({"batch_norm": (True,)}, "batch_norm"),
        ({"conv_dropout": (0.0,)}, "conv_dropout"),
        ({"conv_dropout": (0.0, 1.5)}, "conv_dropout"),
        ({"dense_units": ()}, "dense_units"),
        ({"dense_units": (120, 0)}, "dense_units"),
        ({"dense_dropout": (0.1,)}, "dense_dropout"),
        ({"dense_dropout": (-0.1, 0.0)}, "dense_dropout"),
        ({"filters": (8, 16), "c3_connections": "lecun"}, "c3_connections"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": 2.0}, "learning_rate"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1000}, "epochs"),
        ({"epochs": True}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"seed": -1}, "seed"),
        ({"train_subset": 10}, "train_subset"),
        ({"train_subset": 70_000}, "train_subset"),
        ({"validation_split": 0.9}, "validation_split"),
        ({"aug_shift": 0.5}, "aug_shift"),
        ({"aug_rotation": 90.0}, "aug_rotation"),
        ({"aug_zoom": -0.1}, "aug_zoom"),
        ({"aug_shear": 1.0}, "aug_shear"),
        ({"aug_stroke": 2.0}, "aug_stroke"),
    ],
)
def test_each_field_is_validated_with_a_message_naming_it(changes, field):
    with pytest.raises(ValueError) as err:
        LeNetConfig(**changes)
    message = str(err.value)
    assert message.startswith(f"{field}=")
    assert "expected" in message


def test_message_names_value_and_range():
    with pytest.raises(ValueError, match=r"epochs=0 is invalid: expected an integer in \[1, 200\]"):
        LeNetConfig(epochs=0)


def test_three_valid_blocks_on_28_collapse_is_refused_but_same_padding_works():
    with pytest.raises(ValueError, match="filters="):
        LeNetConfig(filters=(6, 16, 32), batch_norm=(0, 0, 0), conv_dropout=(0, 0, 0))
    ok = LeNetConfig(
        filters=(6, 16, 32), batch_norm=(0, 0, 1), conv_dropout=(0, 0, 0), padding="same"
    )
    assert ok.conv_blocks == 3 and ok.batch_norm == (False, False, True)


def test_json_round_trip_and_canonical_form():
    c = LeNetConfig(activation="elu", filters=[4, 12], dense_dropout=(0.1, 0.2), seed=5)
    assert c.filters == (4, 12)  # lists become tuples
    text = c.to_json()
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    assert LeNetConfig.from_json(text) == c
    assert LeNetConfig.from_json(text).config_id == c.config_id


def test_config_id_is_short_stable_and_changes_with_any_field():
    a = LeNetConfig()
    assert len(a.config_id) == 10 and a.config_id == LeNetConfig().config_id
    assert a.replace(seed=1).config_id != a.config_id
    assert a.replace(aug_zoom=0.1).config_id != a.config_id


def test_unknown_fields_and_bad_json_are_refused():
    with pytest.raises(ValueError, match="unknown config field"):
        LeNetConfig.from_dict({"activaton": "relu"})
    with pytest.raises(ValueError, match="not valid JSON"):
        LeNetConfig.from_json("{")
    with pytest.raises(ValueError, match="must be an object"):
        LeNetConfig.from_json("[1]")
