"""torchvision's model zoo in ember.vision.models: module layout, state_dict keys, forward parity, init, weights.

torchvision is not installed, so each test builds the architecture in torch.nn from torchvision's
published structure, saves its state_dict with torch.save, loads it into ember and compares outputs.
"""

import warnings

import numpy as np
import pytest

import ember
from ember.vision import models

torch = pytest.importorskip("torch")
tnn = torch.nn


# ------------------------------------------------------------------ torch re-creations of torchvision's models


def _t_cna(cin, cout, k=3, stride=1, groups=1, act=tnn.ReLU6):
    return tnn.Sequential(
        tnn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), tnn.BatchNorm2d(cout), act(inplace=True)
    )


class TInvertedResidual(tnn.Module):
    def __init__(self, inp, oup, stride, t):
        super().__init__()
        hidden = int(round(inp * t))
        self.use_res = stride == 1 and inp == oup
        layers = [] if t == 1 else [_t_cna(inp, hidden, 1)]
        layers += [_t_cna(hidden, hidden, 3, stride, hidden), tnn.Conv2d(hidden, oup, 1, 1, 0, bias=False), tnn.BatchNorm2d(oup)]
        self.conv = tnn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class TMobileNetV2(tnn.Module):
    def __init__(self, num_classes):
        super().__init__()
        setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]
        feats, cin = [_t_cna(3, 32, 3, 2)], 32
        for t, c, n, s in setting:
            for i in range(n):
                feats.append(TInvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        feats.append(_t_cna(cin, 1280, 1))
        self.features = tnn.Sequential(*feats)
        self.classifier = tnn.Sequential(tnn.Dropout(0.2), tnn.Linear(1280, num_classes))

    def forward(self, x):
        x = torch.nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


class TAlexNet(tnn.Module):
    def __init__(self, num_classes):
        super().__init__()
        R = lambda: tnn.ReLU(inplace=True)  # noqa: E731
        self.features = tnn.Sequential(
            tnn.Conv2d(3, 64, 11, 4, 2), R(), tnn.MaxPool2d(3, 2), tnn.Conv2d(64, 192, 5, padding=2), R(), tnn.MaxPool2d(3, 2),
            tnn.Conv2d(192, 384, 3, padding=1), R(), tnn.Conv2d(384, 256, 3, padding=1), R(),
            tnn.Conv2d(256, 256, 3, padding=1), R(), tnn.MaxPool2d(3, 2),
        )  # fmt: skip
        self.avgpool = tnn.AdaptiveAvgPool2d((6, 6))
        self.classifier = tnn.Sequential(
            tnn.Dropout(0.5), tnn.Linear(9216, 4096), R(), tnn.Dropout(0.5), tnn.Linear(4096, 4096), R(), tnn.Linear(4096, num_classes)
        )

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def _t_vgg_features(cfg, bn):
    layers, cin = [], 3
    for v in cfg:
        if v == "M":
            layers.append(tnn.MaxPool2d(2, 2))
        else:
            layers += [tnn.Conv2d(cin, v, 3, padding=1)] + ([tnn.BatchNorm2d(v)] if bn else []) + [tnn.ReLU(True)]
            cin = v
    return tnn.Sequential(*layers)


class TVGG(tnn.Module):
    def __init__(self, cfg, bn, num_classes=1000):
        super().__init__()
        self.features = _t_vgg_features(cfg, bn)
        self.avgpool = tnn.AdaptiveAvgPool2d((7, 7))
        self.classifier = tnn.Sequential(
            tnn.Linear(25088, 4096), tnn.ReLU(True), tnn.Dropout(), tnn.Linear(4096, 4096), tnn.ReLU(True), tnn.Dropout(),
            tnn.Linear(4096, num_classes),
        )  # fmt: skip


class TBottleneck(tnn.Module):
    def __init__(self, inplanes, planes, stride, downsample, groups, base_width):
        super().__init__()
        width = int(planes * base_width / 64) * groups
        self.conv1 = tnn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(width)
        self.conv2 = tnn.Conv2d(width, width, 3, stride, 1, groups=groups, bias=False)
        self.bn2 = tnn.BatchNorm2d(width)
        self.conv3 = tnn.Conv2d(width, planes * 4, 1, bias=False)
        self.bn3 = tnn.BatchNorm2d(planes * 4)
        self.relu = tnn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + idt)


class TResNeXt(tnn.Module):
    """torchvision's ResNet with Bottleneck blocks (groups/width_per_group as for ResNeXt)."""

    def __init__(self, layers, num_classes, groups, width_per_group):
        super().__init__()
        self.inplanes = 64
        self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.MaxPool2d(3, 2, 1)
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or self.inplanes != planes * 4:
                down = tnn.Sequential(tnn.Conv2d(self.inplanes, planes * 4, 1, stride, bias=False), tnn.BatchNorm2d(planes * 4))
            blocks = [TBottleneck(self.inplanes, planes, stride, down, groups, width_per_group)]
            self.inplanes = planes * 4
            blocks += [TBottleneck(self.inplanes, planes, 1, None, groups, width_per_group) for _ in range(1, n)]
            setattr(self, f"layer{i + 1}", tnn.Sequential(*blocks))
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(2048, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class TBasicBlock(tnn.Module):
    def __init__(self, inplanes, planes, stride, downsample):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + idt)


class TResNet18(TResNeXt):
    def __init__(self, num_classes):
        tnn.Module.__init__(self)
        self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.MaxPool2d(3, 2, 1)
        inplanes = 64
        for i, planes in enumerate((64, 128, 256, 512)):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or inplanes != planes:
                down = tnn.Sequential(tnn.Conv2d(inplanes, planes, 1, stride, bias=False), tnn.BatchNorm2d(planes))
            setattr(self, f"layer{i + 1}", tnn.Sequential(TBasicBlock(inplanes, planes, stride, down), TBasicBlock(planes, planes, 1, None)))
            inplanes = planes
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512, num_classes)


class TDenseLayer(tnn.Module):
    def __init__(self, cin, growth, bn_size):
        super().__init__()
        self.norm1 = tnn.BatchNorm2d(cin)
        self.relu1 = tnn.ReLU(inplace=True)
        self.conv1 = tnn.Conv2d(cin, bn_size * growth, 1, bias=False)
        self.norm2 = tnn.BatchNorm2d(bn_size * growth)
        self.relu2 = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(bn_size * growth, growth, 3, 1, 1, bias=False)

    def forward(self, feats):
        x = torch.cat(feats, 1)
        return self.conv2(self.relu2(self.norm2(self.conv1(self.relu1(self.norm1(x))))))


class TDenseBlock(tnn.ModuleDict):
    def __init__(self, n, cin, growth):
        super().__init__()
        for i in range(n):
            self.add_module(f"denselayer{i + 1}", TDenseLayer(cin + i * growth, growth, 4))

    def forward(self, x):
        feats = [x]
        for layer in self.values():
            feats.append(layer(feats))
        return torch.cat(feats, 1)


class TDenseNet121(tnn.Module):
    def __init__(self, num_classes):
        super().__init__()
        f = tnn.Sequential()
        f.add_module("conv0", tnn.Conv2d(3, 64, 7, 2, 3, bias=False))
        f.add_module("norm0", tnn.BatchNorm2d(64))
        f.add_module("relu0", tnn.ReLU(inplace=True))
        f.add_module("pool0", tnn.MaxPool2d(3, 2, 1))
        c = 64
        for i, n in enumerate((6, 12, 24, 16)):
            f.add_module(f"denseblock{i + 1}", TDenseBlock(n, c, 32))
            c += n * 32
            if i != 3:
                t = tnn.Sequential()
                t.add_module("norm", tnn.BatchNorm2d(c))
                t.add_module("relu", tnn.ReLU(inplace=True))
                t.add_module("conv", tnn.Conv2d(c, c // 2, 1, bias=False))
                t.add_module("pool", tnn.AvgPool2d(2, 2))
                f.add_module(f"transition{i + 1}", t)
                c //= 2
        f.add_module("norm5", tnn.BatchNorm2d(c))
        self.features = f
        self.classifier = tnn.Linear(c, num_classes)

    def forward(self, x):
        out = torch.relu(self.features(x))
        return self.classifier(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(out, (1, 1)), 1))


class TSE(tnn.Module):
    def __init__(self, c, sq):
        super().__init__()
        self.fc1, self.fc2 = tnn.Conv2d(c, sq, 1), tnn.Conv2d(sq, c, 1)

    def forward(self, x):
        s = torch.nn.functional.adaptive_avg_pool2d(x, 1)
        return torch.nn.functional.hardsigmoid(self.fc2(torch.relu(self.fc1(s)))) * x


def _t_cna3(cin, cout, k, stride=1, groups=1, act=None):
    layers = [tnn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), tnn.BatchNorm2d(cout, eps=0.001)]
    return tnn.Sequential(*(layers + ([act()] if act is not None else [])))


class TV3Block(tnn.Module):
    def __init__(self, cin, k, exp, cout, se, hs, stride):
        super().__init__()
        act = tnn.Hardswish if hs else tnn.ReLU
        layers = [] if exp == cin else [_t_cna3(cin, exp, 1, act=act)]
        layers.append(_t_cna3(exp, exp, k, stride, exp, act=act))
        if se:
            layers.append(TSE(exp, max(8, int(exp // 4 + 4) // 8 * 8)))
        layers.append(_t_cna3(exp, cout, 1))
        self.block = tnn.Sequential(*layers)
        self.res = stride == 1 and cin == cout

    def forward(self, x):
        return self.block(x) + x if self.res else self.block(x)


class TMobileNetV3Small(tnn.Module):
    SETTING = [
        (16, 3, 16, 16, True, False, 2), (16, 3, 72, 24, False, False, 2), (24, 3, 88, 24, False, False, 1),
        (24, 5, 96, 40, True, True, 2), (40, 5, 240, 40, True, True, 1), (40, 5, 240, 40, True, True, 1),
        (40, 5, 120, 48, True, True, 1), (48, 5, 144, 48, True, True, 1), (48, 5, 288, 96, True, True, 2),
        (96, 5, 576, 96, True, True, 1), (96, 5, 576, 96, True, True, 1),
    ]  # fmt: skip

    def __init__(self, num_classes):
        super().__init__()
        layers = [_t_cna3(3, 16, 3, 2, act=tnn.Hardswish)] + [TV3Block(*row) for row in self.SETTING]
        layers.append(_t_cna3(96, 576, 1, act=tnn.Hardswish))
        self.features = tnn.Sequential(*layers)
        self.classifier = tnn.Sequential(tnn.Linear(576, 1024), tnn.Hardswish(), tnn.Dropout(0.2), tnn.Linear(1024, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))


class TSESilu(tnn.Module):
    def __init__(self, c, sq):
        super().__init__()
        self.fc1, self.fc2 = tnn.Conv2d(c, sq, 1), tnn.Conv2d(sq, c, 1)

    def forward(self, x):
        s = torch.nn.functional.adaptive_avg_pool2d(x, 1)
        return torch.sigmoid(self.fc2(torch.nn.functional.silu(self.fc1(s)))) * x


def _t_cna_silu(cin, cout, k, stride=1, groups=1, act=True):
    layers = [tnn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), tnn.BatchNorm2d(cout)]
    return tnn.Sequential(*(layers + ([tnn.SiLU()] if act else [])))


class TMBConv(tnn.Module):
    def __init__(self, t, k, stride, cin, cout):
        super().__init__()
        exp = cin * t
        layers = [] if t == 1 else [_t_cna_silu(cin, exp, 1)]
        layers += [_t_cna_silu(exp, exp, k, stride, exp), TSESilu(exp, max(1, cin // 4)), _t_cna_silu(exp, cout, 1, act=False)]
        self.block = tnn.Sequential(*layers)
        self.res = stride == 1 and cin == cout

    def forward(self, x):
        return self.block(x) + x if self.res else self.block(x)


class TEfficientNetB0(tnn.Module):
    def __init__(self, num_classes):
        super().__init__()
        stages = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
                  (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]  # fmt: skip
        layers = [_t_cna_silu(3, 32, 3, 2)]
        for t, k, s, cin, cout, n in stages:
            layers.append(tnn.Sequential(*[TMBConv(t, k, s if i == 0 else 1, cin if i == 0 else cout, cout) for i in range(n)]))
        layers.append(_t_cna_silu(320, 1280, 1))
        self.features = tnn.Sequential(*layers)
        self.classifier = tnn.Sequential(tnn.Dropout(0.2), tnn.Linear(1280, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))


class TFire(tnn.Module):
    def __init__(self, cin, sq, e1, e3):
        super().__init__()
        self.squeeze = tnn.Conv2d(cin, sq, 1)
        self.expand1x1 = tnn.Conv2d(sq, e1, 1)
        self.expand3x3 = tnn.Conv2d(sq, e3, 3, padding=1)

    def forward(self, x):
        s = torch.relu(self.squeeze(x))
        return torch.cat([torch.relu(self.expand1x1(s)), torch.relu(self.expand3x3(s))], 1)


class TSqueezeNet11(tnn.Module):
    def __init__(self, num_classes):
        super().__init__()
        P = lambda: tnn.MaxPool2d(3, 2, ceil_mode=True)  # noqa: E731
        self.features = tnn.Sequential(
            tnn.Conv2d(3, 64, 3, 2), tnn.ReLU(), P(), TFire(64, 16, 64, 64), TFire(128, 16, 64, 64), P(),
            TFire(128, 32, 128, 128), TFire(256, 32, 128, 128), P(), TFire(256, 48, 192, 192), TFire(384, 48, 192, 192),
            TFire(384, 64, 256, 256), TFire(512, 64, 256, 256),
        )  # fmt: skip
        self.classifier = tnn.Sequential(tnn.Dropout(), tnn.Conv2d(512, num_classes, 1), tnn.ReLU(), tnn.AdaptiveAvgPool2d(1))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


class TLayerNorm2d(tnn.LayerNorm):
    def forward(self, x):
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class TPermute(tnn.Module):
    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.permute(*self.dims)


class TCNBlock(tnn.Module):
    def __init__(self, dim):
        super().__init__()
        self.block = tnn.Sequential(
            tnn.Conv2d(dim, dim, 7, padding=3, groups=dim), TPermute([0, 2, 3, 1]), tnn.LayerNorm(dim, eps=1e-6),
            tnn.Linear(dim, 4 * dim), tnn.GELU(), tnn.Linear(4 * dim, dim), TPermute([0, 3, 1, 2]),
        )  # fmt: skip
        self.layer_scale = tnn.Parameter(torch.rand(dim, 1, 1))  # random instead of 1e-6, so the blocks matter

    def forward(self, x):
        return self.layer_scale * self.block(x) + x


class TConvNeXtTiny(tnn.Module):
    def __init__(self, num_classes):
        super().__init__()
        layers = [tnn.Sequential(tnn.Conv2d(3, 96, 4, 4), TLayerNorm2d(96, eps=1e-6))]
        for cin, cout, n in [(96, 192, 3), (192, 384, 3), (384, 768, 9), (768, None, 3)]:
            layers.append(tnn.Sequential(*[TCNBlock(cin) for _ in range(n)]))
            if cout is not None:
                layers.append(tnn.Sequential(TLayerNorm2d(cin, eps=1e-6), tnn.Conv2d(cin, cout, 2, 2)))
        self.features = tnn.Sequential(*layers)
        self.avgpool = tnn.AdaptiveAvgPool2d(1)
        self.classifier = tnn.Sequential(TLayerNorm2d(768, eps=1e-6), tnn.Flatten(1), tnn.Linear(768, num_classes))

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)))


# ------------------------------------------------------------------ helpers


def _randomize_bn_stats(tmodel, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in tmodel.modules():
            if isinstance(m, tnn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)


def _load_torch_weights_and_compare(tmodel, emodel, shape, tmp_path, atol=1e-4):
    _randomize_bn_stats(tmodel)
    path = tmp_path / "weights.pth"
    torch.save(tmodel.state_dict(), path)
    tkeys = {k: tuple(v.shape) for k, v in tmodel.state_dict().items()}
    ekeys = {k: tuple(v.shape) for k, v in emodel.state_dict().items()}
    assert list(ekeys) == list(tkeys)  # same names, same order
    assert ekeys == tkeys
    emodel.load_state_dict(ember.load(path))
    tmodel.eval()
    emodel.eval()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        expected = tmodel(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        got = emodel(ember.from_numpy(x)).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=atol)


# ------------------------------------------------------------------ forward parity with torch-built weights


def test_mobilenet_v2_loads_torchvision_weights_and_matches_torch(tmp_path):
    torch.manual_seed(0)
    _load_torch_weights_and_compare(TMobileNetV2(7), models.mobilenet_v2(num_classes=7), (2, 3, 64, 64), tmp_path)


def test_resnet18_loads_torchvision_weights_and_matches_torch(tmp_path):
    torch.manual_seed(0)
    _load_torch_weights_and_compare(TResNet18(9), models.resnet18(num_classes=9), (2, 3, 48, 40), tmp_path)


def test_densenet121_loads_torchvision_weights_and_matches_torch(tmp_path):
    torch.manual_seed(0)
    _load_torch_weights_and_compare(TDenseNet121(4), models.densenet121(num_classes=4), (1, 3, 64, 64), tmp_path)


def test_mobilenet_v3_small_loads_torchvision_weights_and_matches_torch(tmp_path):
    torch.manual_seed(0)
    _load_torch_weights_and_compare(TMobileNetV3Small(6), models.mobilenet_v3_small(num_classes=6), (2, 3, 64, 64), tmp_path)


def test_mobilenet_v3_parameter_counts_are_torchvisions():
    assert sum(p.numel() for p in models.mobilenet_v3_large().parameters()) == 5_483_032
    assert sum(p.numel() for p in models.mobilenet_v3_small().parameters()) == 2_542_856
    assert models.mobilenet_v3_small().features[1].block[0][1].eps == 0.001


def test_efficientnet_b0_loads_torchvision_weights_and_matches_torch(tmp_path):
    torch.manual_seed(0)
    _load_torch_weights_and_compare(TEfficientNetB0(5), models.efficientnet_b0(num_classes=5), (2, 3, 64, 64), tmp_path)


def test_efficientnet_sizes_stochastic_depth_and_preset():
    for builder, n in [(models.efficientnet_b0, 5_288_548), (models.efficientnet_b1, 7_794_184)]:
        assert sum(p.numel() for p in builder().parameters()) == n  # torchvision's published sizes
    m = models.efficientnet_b0(num_classes=2)
    probs = [blk.stochastic_depth.p for stage in list(m.features)[1:-1] for blk in stage]
    np.testing.assert_allclose(probs, [0.2 * i / 16 for i in range(16)])  # linear in depth
    t = models.EfficientNet_B0_Weights.DEFAULT.transforms()
    assert t.interpolation.value == "bicubic" and t.resize_size == [256]
    # training mode drops whole rows of a residual branch: the output is x or x + 2 * branch per sample
    from ember.vision.ops import stochastic_depth

    x = ember.ones(2000, 1)
    ember.manual_seed(0)
    y = stochastic_depth(x, 0.25, "row", training=True).numpy()
    assert set(np.unique(y).tolist()) <= {0.0, float(np.float32(1 / 0.75))} and abs(float((y == 0).mean()) - 0.25) < 0.04
    assert stochastic_depth(x, 0.25, "row", training=False) is x


def test_squeezenet1_1_loads_torchvision_weights_and_matches_torch(tmp_path):
    torch.manual_seed(0)
    _load_torch_weights_and_compare(TSqueezeNet11(7), models.squeezenet1_1(num_classes=7), (2, 3, 67, 67), tmp_path)
    assert sum(p.numel() for p in models.squeezenet1_0().parameters()) == 1_248_424
    assert sum(p.numel() for p in models.squeezenet1_1().parameters()) == 1_235_496


def test_convnext_tiny_loads_torchvision_weights_and_matches_torch(tmp_path):
    torch.manual_seed(0)
    _load_torch_weights_and_compare(TConvNeXtTiny(3), models.convnext_tiny(num_classes=3), (1, 3, 64, 64), tmp_path, atol=1e-3)
    m = models.convnext_tiny()
    assert sum(p.numel() for p in m.parameters()) == 28_589_128
    np.testing.assert_allclose(m.features[1][0].layer_scale.detach().numpy(), 1e-6)


def test_alexnet_loads_torchvision_weights_and_matches_torch(tmp_path):
    torch.manual_seed(0)
    _load_torch_weights_and_compare(TAlexNet(5), models.alexnet(num_classes=5), (2, 3, 75, 75), tmp_path)


def test_resnext50_grouped_bottlenecks_match_torch(tmp_path):
    torch.manual_seed(0)
    tm = TResNeXt([3, 4, 6, 3], 6, groups=32, width_per_group=4)
    _load_torch_weights_and_compare(tm, models.resnext50_32x4d(num_classes=6), (1, 3, 40, 40), tmp_path, atol=1e-3)


def test_vgg11_bn_features_match_torch(tmp_path):
    torch.manual_seed(0)
    cfg = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]
    tm = _t_vgg_features(cfg, bn=True)
    em = models.vgg.make_layers(models.vgg.cfgs["A"], batch_norm=True)
    _load_torch_weights_and_compare(tm, em, (2, 3, 32, 32), tmp_path)


def test_vgg16_bn_state_dict_and_init_are_torchvisions():
    name, cfg, bn = "vgg16_bn", "D", True
    with torch.device("meta"):  # shapes only: no memory for torch's copy
        tm = TVGG(models.vgg.cfgs[cfg], bn)
    em = getattr(models, name)()
    assert [(k, tuple(v.shape)) for k, v in em.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in tm.state_dict().items()
    ]
    n = sum(p.numel() for p in em.parameters())
    assert n == 138_365_992  # torchvision's published size
    with ember.no_grad():
        # torchvision's init: Linear N(0, 0.01) with zero bias, conv kaiming (fan_out) with zero bias
        w = em.classifier[0].weight.detach().numpy()
        assert abs(float(w.std()) - 0.01) < 2e-4 and float(np.abs(em.classifier[0].bias.detach().numpy()).max()) == 0.0
        c = em.features[0].weight.detach().numpy()
        assert abs(float(c.std()) - np.sqrt(2.0 / (64 * 9))) < 0.01


def test_mobilenet_v2_parameter_count_and_width_mult():
    assert sum(p.numel() for p in models.mobilenet_v2().parameters()) == 3_504_872
    m = models.mobilenet_v2(width_mult=0.5, num_classes=3)
    assert tuple(m.state_dict()["features.0.0.weight"].shape) == (16, 3, 3, 3)
    assert m.last_channel == 1280 and tuple(m.classifier[1].weight.shape) == (3, 1280)


def test_alexnet_parameter_count():
    assert sum(p.numel() for p in models.alexnet().parameters()) == 61_100_840


# ------------------------------------------------------------------ weights / pretrained


def test_named_weights_fail_with_one_clear_line():
    for request in ("IMAGENET1K_V1", "DEFAULT", models.ResNet18_Weights.IMAGENET1K_V1, models.ResNet18_Weights.DEFAULT):
        with pytest.raises(RuntimeError, match=r"resnet18: weights=ResNet18_Weights.IMAGENET1K_V1 .*no model hub") as e:
            models.resnet18(weights=request)
        assert "\n" not in str(e.value) and "resnet18-f37072fd.pth" in str(e.value)
    with pytest.raises(RuntimeError, match="no model hub"):
        models.vgg16(weights="IMAGENET1K_V1")
    with pytest.raises(ValueError, match="unknown weights 'IMAGENET_V9'.*IMAGENET1K_V1, IMAGENET1K_V2, DEFAULT"):
        models.resnet50(weights="IMAGENET_V9")
    with pytest.raises(FileNotFoundError, match="weights file 'missing.pth' not found"):
        models.mobilenet_v2(weights="missing.pth")


def test_pretrained_flag_is_deprecated_like_torchvision():
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        m = models.resnet18(pretrained=False, num_classes=3)
    assert tuple(m.fc.weight.shape) == (3, 512)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="no model hub"):
            models.alexnet(pretrained=True)
    models.mobilenet_v2(weights=None, progress=False)  # progress is accepted (there is no download)


def test_weights_path_loads_for_the_new_models(tmp_path):
    ember.manual_seed(0)
    src = models.mobilenet_v2(num_classes=4)
    ember.save(src.state_dict(), tmp_path / "m.pth")
    dst = models.mobilenet_v2(weights=str(tmp_path / "m.pth"), num_classes=4)
    np.testing.assert_array_equal(dst.classifier[1].weight.detach().numpy(), src.classifier[1].weight.detach().numpy())


def test_weights_transforms_is_the_imagenet_preset():
    t = models.ResNet50_Weights.DEFAULT.transforms()
    assert t.resize_size == [232] and t.crop_size == [224]
    img = ember.from_numpy(np.random.default_rng(0).integers(0, 256, (3, 300, 260), dtype=np.uint8))
    out = t(img)
    assert tuple(out.shape) == (3, 224, 224) and out.dtype == ember.float32
    ref = torch.from_numpy(img.numpy()).float().div(255)
    ref = torch.nn.functional.interpolate(ref[None], size=(267, 232), mode="bilinear", antialias=True, align_corners=False)[0]
    top, left = int(round((267 - 224) / 2)), int(round((232 - 224) / 2))
    ref = ref[:, top : top + 224, left : left + 224]
    mean = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
    std = torch.tensor([0.229, 0.224, 0.225])[:, None, None]
    # torchvision resizes the uint8 image (rounding to uint8) before scaling: allow one grey level
    np.testing.assert_allclose(out.numpy(), ((ref - mean) / std).numpy(), atol=1.5 / 255 / 0.224)


def test_list_models_get_model_and_get_weight():
    names = models.list_models()
    for n in ("alexnet", "mobilenet_v2", "resnet18", "resnet50", "vgg11", "vgg11_bn", "vgg16", "vgg16_bn", "densenet121"):
        assert n in names
    assert names == sorted(names)
    assert models.list_models(include="vgg1[16]*") == ["vgg11", "vgg11_bn", "vgg16", "vgg16_bn"]
    assert isinstance(models.get_model("mobilenet_v2", num_classes=3), models.MobileNetV2)
    assert models.get_model_weights("resnet18") is models.ResNet18_Weights
    assert models.get_model_weights(models.resnet50) is models.ResNet50_Weights
    assert models.get_weight("ResNet50_Weights.IMAGENET1K_V2") is models.ResNet50_Weights.DEFAULT
    with pytest.raises(ValueError, match="Invalid weight name"):
        models.get_weight("ResNet50_Weights.NOPE")


# ------------------------------------------------------------------ Inception v3


class TBasicConv(tnn.Module):
    def __init__(self, cin, cout, **kw):
        super().__init__()
        self.conv = tnn.Conv2d(cin, cout, bias=False, **kw)
        self.bn = tnn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class TInceptionE(tnn.Module):
    def __init__(self, cin):
        super().__init__()
        C = TBasicConv
        self.branch1x1 = C(cin, 320, kernel_size=1)
        self.branch3x3_1 = C(cin, 384, kernel_size=1)
        self.branch3x3_2a = C(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = C(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = C(cin, 448, kernel_size=1)
        self.branch3x3dbl_2 = C(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = C(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = C(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = C(cin, 192, kernel_size=1)

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        pool = torch.nn.functional.avg_pool2d(x, 3, 1, 1)
        return torch.cat([self.branch1x1(x), self.branch3x3_2a(b3), self.branch3x3_2b(b3), self.branch3x3dbl_3a(bd),
                          self.branch3x3dbl_3b(bd), self.branch_pool(pool)], 1)  # fmt: skip


class TInceptionAux(tnn.Module):
    def __init__(self, cin, num_classes):
        super().__init__()
        self.conv0 = TBasicConv(cin, 128, kernel_size=1)
        self.conv1 = TBasicConv(128, 768, kernel_size=5)
        self.fc = tnn.Linear(768, num_classes)

    def forward(self, x):
        x = self.conv1(self.conv0(torch.nn.functional.avg_pool2d(x, 5, 3)))
        return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x, 1), 1))


def test_inception_blocks_match_torch(tmp_path):
    from ember.vision.models import inception

    torch.manual_seed(0)
    _load_torch_weights_and_compare(TInceptionE(64), inception.InceptionE(64), (1, 64, 6, 7), tmp_path, atol=1e-3)
    _load_torch_weights_and_compare(TInceptionAux(32, 5), inception.InceptionAux(32, 5), (2, 32, 17, 17), tmp_path)


def test_inception_v3_layout_outputs_and_transform_input():
    with pytest.warns(FutureWarning, match="default weight initialization of inception_v3"):
        m = models.inception_v3(num_classes=4)
    assert sum(p.numel() for p in m.parameters()) == 27_161_264 - 1000 * 2048 - 1000 - 1000 * 768 - 1000 + 4 * 2049 + 4 * 769
    sd = m.state_dict()
    assert len(sd) == 580 and tuple(sd["AuxLogits.fc.weight"].shape) == (4, 768)
    assert tuple(sd["Mixed_7c.branch3x3dbl_3b.conv.weight"].shape) == (384, 384, 3, 1)
    out = m(ember.randn(2, 3, 299, 299))  # training mode: the auxiliary head needs 299x299 inputs
    assert isinstance(out, models.InceptionOutputs) and tuple(out.logits.shape) == (2, 4) and tuple(out.aux_logits.shape) == (2, 4)
    x = ember.randn(2, 3, 80, 80)
    m.eval()
    with ember.no_grad():
        assert tuple(m(x).shape) == (2, 4)
    m.transform_input = True
    t = m._transform_input(x).numpy()
    np.testing.assert_allclose(t[:, 1], x.numpy()[:, 1] * (0.224 / 0.5) + (0.456 - 0.5) / 0.5, rtol=1e-5, atol=1e-6)
    no_aux = models.inception_v3(aux_logits=False, init_weights=False, num_classes=3)
    assert no_aux.AuxLogits is None and tuple(no_aux(x).shape) == (2, 3)


# ------------------------------------------------------------------ ShuffleNet V2


class TShuffleUnit(tnn.Module):
    def __init__(self, inp, oup, stride):
        super().__init__()
        bf = oup // 2
        self.stride = stride

        def dw(c):
            return tnn.Conv2d(c, c, 3, stride, 1, bias=False, groups=c)

        B, R = tnn.BatchNorm2d, tnn.ReLU
        self.branch1 = (
            tnn.Sequential(dw(inp), B(inp), tnn.Conv2d(inp, bf, 1, bias=False), B(bf), R()) if stride > 1 else tnn.Sequential()
        )
        self.branch2 = tnn.Sequential(
            tnn.Conv2d(inp if stride > 1 else bf, bf, 1, bias=False), B(bf), R(), dw(bf), B(bf), tnn.Conv2d(bf, bf, 1, bias=False), B(bf), R()
        )

    def forward(self, x):
        if self.stride == 1:
            a, b = x.chunk(2, dim=1)
            out = torch.cat((a, self.branch2(b)), 1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), 1)
        n, c, h, w = out.shape
        return out.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)


class TShuffleNetV2(tnn.Module):
    def __init__(self, chans, num_classes):
        super().__init__()
        self.conv1 = tnn.Sequential(tnn.Conv2d(3, chans[0], 3, 2, 1, bias=False), tnn.BatchNorm2d(chans[0]), tnn.ReLU())
        self.maxpool = tnn.MaxPool2d(3, 2, 1)
        cin = chans[0]
        for name, reps, cout in zip(("stage2", "stage3", "stage4"), (4, 8, 4), chans[1:]):
            setattr(self, name, tnn.Sequential(TShuffleUnit(cin, cout, 2), *[TShuffleUnit(cout, cout, 1) for _ in range(reps - 1)]))
            cin = cout
        self.conv5 = tnn.Sequential(tnn.Conv2d(cin, chans[-1], 1, bias=False), tnn.BatchNorm2d(chans[-1]), tnn.ReLU())
        self.fc = tnn.Linear(chans[-1], num_classes)

    def forward(self, x):
        x = self.stage4(self.stage3(self.stage2(self.maxpool(self.conv1(x)))))
        return self.fc(self.conv5(x).mean([2, 3]))


def test_shufflenet_v2_loads_torchvision_weights_and_matches_torch(tmp_path):
    torch.manual_seed(0)
    tm = TShuffleNetV2([24, 48, 96, 192, 1024], 5)
    _load_torch_weights_and_compare(tm, models.shufflenet_v2_x0_5(num_classes=5), (2, 3, 64, 64), tmp_path)
    assert sum(p.numel() for p in models.shufflenet_v2_x1_0().parameters()) == 2_278_604
