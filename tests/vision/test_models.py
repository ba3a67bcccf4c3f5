"""ember.vision.models: the zoo's shapes, torchvision-identical state_dict keys, the registry and its errors."""

import numpy as np
import pytest

import ember
from ember import nn
from ember.vision import models


def _out_shape(model, shape):
    model.eval()
    with ember.no_grad():
        return tuple(model(ember.zeros(*shape)).shape)


@pytest.mark.parametrize(
    "name, kwargs, input_shape, out",
    [
        ("mlp", {}, (3, 1, 28, 28), (3, 10)),
        ("mlp", {"in_features": 64, "hidden": (32,), "num_classes": 5}, (2, 64), (2, 5)),
        ("logistic", {"in_features": 64, "num_classes": 10}, (4, 1, 8, 8), (4, 10)),
        ("lenet5", {}, (2, 1, 28, 28), (2, 10)),
        ("course_cnn", {}, (2, 1, 28, 28), (2, 10)),
        ("course_cnn", {}, (2, 1, 8, 8), (2, 10)),  # adaptive pooling takes 8x8 digits
        ("resnet18", {"num_classes": 10, "in_channels": 1}, (2, 1, 28, 28), (2, 10)),
    ],
)
def test_zoo_models_give_logits_of_the_expected_shape(name, kwargs, input_shape, out):
    assert _out_shape(models.get_model(name, **kwargs), input_shape) == out


def test_mlp_layers_activation_and_dropout():
    m = models.mlp(in_features=64, hidden=(32, 16), num_classes=3, activation="tanh", dropout=0.25)
    kinds = [type(x).__name__ for x in m]
    assert kinds == ["Flatten", "Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert m[1].weight.shape == (32, 64) and m[-1].weight.shape == (3, 16)
    with pytest.raises(ValueError, match="unknown activation 'rleu'.*Did you mean 'relu'"):
        models.mlp(activation="rleu")


def test_lenet5_is_the_classic_layout_and_refuses_other_sizes():
    m = models.lenet5()
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert shapes == {
        "features.0.weight": (6, 1, 5, 5), "features.0.bias": (6,),
        "features.3.weight": (16, 6, 5, 5), "features.3.bias": (16,),
        "classifier.1.weight": (120, 400), "classifier.1.bias": (120,),
        "classifier.3.weight": (84, 120), "classifier.3.bias": (84,),
        "classifier.5.weight": (10, 84), "classifier.5.bias": (10,),
    }  # fmt: skip
    assert sum(p.numel() for p in m.parameters()) == 61706
    with pytest.raises(ValueError, match=r"LeNet5: expected input of shape \(N, C, 28, 28\), got shape \(1, 1, 8, 8\)"):
        m(ember.zeros(1, 1, 8, 8))


def test_course_cnn_layout():
    m = models.course_cnn()
    convs = [x for x in m if isinstance(x, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding) for c in convs] == [
        (1, 16, (3, 3), (2, 2), (1, 1)),
        (16, 16, (3, 3), (2, 2), (1, 1)),
        (16, 10, (3, 3), (2, 2), (1, 1)),
    ]


# Key names and shapes as torchvision writes them (torchvision.models.resnet18().state_dict()).
RESNET18_KEYS = {
    "conv1.weight": (64, 3, 7, 7),
    "bn1.weight": (64,),
    "bn1.running_mean": (64,),
    "bn1.num_batches_tracked": (),
    "layer1.0.conv1.weight": (64, 64, 3, 3),
    "layer1.0.bn1.running_mean": (64,),
    "layer1.0.bn1.running_var": (64,),
    "layer1.1.conv2.weight": (64, 64, 3, 3),
    "layer2.0.conv1.weight": (128, 64, 3, 3),
    "layer2.0.downsample.0.weight": (128, 64, 1, 1),
    "layer2.0.downsample.1.running_var": (128,),
    "layer3.1.bn2.bias": (256,),
    "layer4.0.downsample.0.weight": (512, 256, 1, 1),
    "layer4.1.conv2.weight": (512, 512, 3, 3),
    "fc.weight": (1000, 512),
    "fc.bias": (1000,),
}

DENSENET121_KEYS = {
    "features.conv0.weight": (64, 3, 7, 7),
    "features.norm0.running_mean": (64,),
    "features.denseblock1.denselayer1.norm1.weight": (64,),
    "features.denseblock1.denselayer1.conv1.weight": (128, 64, 1, 1),
    "features.denseblock1.denselayer1.norm2.running_var": (128,),
    "features.denseblock1.denselayer1.conv2.weight": (32, 128, 3, 3),
    "features.denseblock1.denselayer6.norm1.weight": (224,),
    "features.transition1.norm.weight": (256,),
    "features.transition1.conv.weight": (128, 256, 1, 1),
    "features.denseblock2.denselayer12.conv1.weight": (128, 480, 1, 1),
    "features.transition3.conv.weight": (512, 1024, 1, 1),
    "features.denseblock4.denselayer16.conv2.weight": (32, 128, 3, 3),
    "features.norm5.weight": (1024,),
    "features.norm5.num_batches_tracked": (),
    "classifier.weight": (1000, 1024),
    "classifier.bias": (1000,),
}


@pytest.mark.parametrize(
    "builder, keys, n_entries, n_params",
    [
        (models.resnet18, RESNET18_KEYS, 122, 11_689_512),
        (models.resnet34, {"layer3.5.bn2.weight": (256,), "fc.weight": (1000, 512)}, 218, 21_797_672),
        (models.densenet121, DENSENET121_KEYS, 727, 7_978_856),
    ],
)
def test_state_dict_keys_and_shapes_match_torchvision(builder, keys, n_entries, n_params):
    model = builder()
    sd = model.state_dict()
    for key, shape in keys.items():
        assert key in sd, key
        assert tuple(sd[key].shape) == shape, key
    assert len(sd) == n_entries  # torchvision's entry count, buffers included
    assert sum(p.numel() for p in model.parameters()) == n_params  # torchvision's published sizes


def test_resnet50_uses_bottlenecks_with_torchvision_names():
    sd = models.resnet50().state_dict()
    assert tuple(sd["layer1.0.conv3.weight"].shape) == (256, 64, 1, 1)
    assert tuple(sd["fc.weight"].shape) == (1000, 2048)


def test_densenet121_forward_on_a_small_image():
    m = models.densenet121(num_classes=7)
    assert _out_shape(m, (1, 3, 32, 32)) == (1, 7)


def test_weights_argument_loads_a_saved_state_dict(tmp_path):
    ember.manual_seed(0)
    src = models.resnet18(num_classes=4)
    path = tmp_path / "r18.pt"
    ember.save(src.state_dict(), path)
    ember.manual_seed(1)
    dst = models.resnet18(weights=path, num_classes=4)
    for (k, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


def test_weights_accepts_checkpoints_and_module_prefixes_and_old_densenet_names(tmp_path):
    src = models.densenet121(num_classes=3)
    state = {}
    for k, v in src.state_dict().items():
        k = k.replace("denselayer1.norm1.", "denselayer1.norm.1.")  # torchvision's pre-0.3 names
        state["module." + k] = v  # as saved from nn.DataParallel
    path = tmp_path / "d.pt"
    ember.save({"state_dict": state, "epoch": 3}, path)
    dst = models.densenet121(weights=str(path), num_classes=3)
    key = "features.denseblock1.denselayer1.norm1.weight"
    np.testing.assert_array_equal(dst.state_dict()[key].numpy(), src.state_dict()[key].numpy())


def test_weights_from_a_torch_file(tmp_path):
    torch = pytest.importorskip("torch")
    src = models.mlp(in_features=16, hidden=(8,), num_classes=3)
    torch.save({k: torch.tensor(v.numpy()) for k, v in src.state_dict().items()}, tmp_path / "m.pth")
    m = models.mlp(in_features=16, hidden=(8,), num_classes=3)
    models.load_weights(m, tmp_path / "m.pth")
    np.testing.assert_array_equal(m[1].weight.detach().numpy(), src[1].weight.detach().numpy())


def test_freeze_except_and_replace_the_head():
    m = models.resnet18(num_classes=10)
    models.freeze(m, except_="fc")
    trainable = [n for n, p in m.named_parameters() if p.requires_grad]
    assert trainable == ["fc.weight", "fc.bias"]
    models.freeze(m)
    assert not any(p.requires_grad for p in m.parameters())
    m.fc = nn.Linear(512, 3)
    assert [n for n, p in m.named_parameters() if p.requires_grad] == ["fc.weight", "fc.bias"]
    models.unfreeze(m, only="layer4")
    assert all(p.requires_grad for n, p in m.named_parameters() if n.startswith("layer4."))
    with pytest.raises(ValueError, match=r"freeze: \['clasifier'\] match no parameter"):
        models.freeze(m, except_="clasifier")


def test_frozen_parameters_get_no_gradient():
    m = models.mlp(in_features=4, hidden=(3,), num_classes=2)
    models.freeze(m, except_="3")
    m(ember.randn(5, 4)).sum().backward()
    assert m[1].weight.grad is None and m[3].weight.grad is not None


def test_registry_names_aliases_and_close_match_errors():
    names = models.available_models()
    for n in ("mlp", "logistic", "lenet5", "course_cnn", "resnet18", "resnet34", "densenet121"):
        assert n in names
    assert isinstance(models.get_model("lenet"), models.LeNet5)
    assert isinstance(models.get_model("LeNet-5"), models.LeNet5)
    with pytest.raises(ValueError, match=r"unknown model 'resnet81'\. Did you mean 'resnet18'\? Available: mlp, "):
        models.get_model("resnet81")
    with pytest.raises(ValueError, match=r"model 'lenet5' does not take 'hidden'; it takes: num_classes, in_channels"):
        models.get_model("lenet5", hidden=(3,))


def test_user_model_from_a_file(tmp_path):
    f = tmp_path / "mynet.py"
    f.write_text(
        "from ember import nn\n"
        "class Tiny(nn.Module):\n"
        "    def __init__(self, in_features, num_classes=10):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(in_features, num_classes)\n"
        "    def forward(self, x):\n"
        "        return self.fc(x.flatten(1))\n"
    )
    m = models.get_model(f"{f}:Tiny", in_features=64, num_classes=3, hidden=(5,))  # unknown kwargs are not passed
    assert _out_shape(m, (2, 1, 8, 8)) == (2, 3)
    assert models.accepted_kwargs(f"{f}:Tiny") == {"in_features", "num_classes"}
    with pytest.raises(ValueError, match="has no 'Tiyn'.*Did you mean 'Tiny'"):
        models.get_model(f"{f}:Tiyn")
    with pytest.raises(FileNotFoundError, match="model file .*nope.py' not found"):
        models.get_model(str(tmp_path / "nope.py") + ":Tiny")
