"""The config-driven models reject an empty setting or one of the wrong config type, in torchvision's words."""

import pytest

from ember.vision.models.convnext import ConvNeXt
from ember.vision.models.efficientnet import EfficientNet
from ember.vision.models.mobilenetv3 import MobileNetV3

CASES = [
    (ConvNeXt, "block_setting", "CNBlockConfig", {}),
    (EfficientNet, "inverted_residual_setting", "MBConvConfig", {"dropout": 0.2}),
    (MobileNetV3, "inverted_residual_setting", "InvertedResidualConfig", {"last_channel": 16}),
]


@pytest.mark.parametrize("model, name, config, extra", CASES, ids=[c[0].__name__ for c in CASES])
def test_empty_setting(model, name, config, extra):
    with pytest.raises(ValueError) as err:
        model([], **extra)
    assert str(err.value) == f"The {name} should not be empty"


@pytest.mark.parametrize("model, name, config, extra", CASES, ids=[c[0].__name__ for c in CASES])
def test_setting_of_the_wrong_type(model, name, config, extra):
    with pytest.raises(TypeError) as err:
        model([(1, 2, 3)], **extra)
    assert str(err.value) == f"The {name} should be List[{config}]"
