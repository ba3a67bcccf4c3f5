"""ember.onnx.export: graphs recorded at the op door run in onnxruntime and give ember's outputs."""

import io

import numpy as np
import pytest

import ember
from ember import nn
from ember.vision import models

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _session(model, example, **kw):
    buf = io.BytesIO()
    kw.setdefault("input_names", ["x"])
    kw.setdefault("output_names", ["y"])
    kw.setdefault("dynamic_axes", {"x": {0: "batch"}, "y": {0: "batch"}})
    program = ember.onnx.export(model, (example,), buf, **kw)
    onnx.checker.check_model(onnx.load_from_string(buf.getvalue()))
    return ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"]), program


def _assert_matches(model, example, batches=(1, 5), make=None, atol=1e-5, **kw):
    sess, _ = _session(model, example, **kw)
    model.eval()
    make = make or (lambda n: ember.randn(n, *example.shape[1:]))
    for n in (example.shape[0],) + tuple(batches):
        x = make(n)
        with ember.no_grad():
            want = model(x)
        want = want[0] if isinstance(want, tuple) else want
        got = sess.run(None, {"x": x.numpy()})[0]
        assert got.shape == tuple(want.shape)
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=atol)


LAYERS = [
    ("linear", lambda: nn.Linear(6, 4), (3, 6)),
    ("linear_3d", lambda: nn.Linear(6, 4), (3, 2, 6)),
    ("conv1d", lambda: nn.Conv1d(3, 5, 3, padding=1, stride=2), (2, 3, 11)),
    ("conv2d_groups_dilation", lambda: nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2), (2, 4, 9, 9)),
    ("conv2d_same", lambda: nn.Conv2d(3, 4, 4, padding="same"), (2, 3, 8, 8)),
    ("conv_transpose2d", lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), (2, 3, 5, 5)),
    ("conv_transpose1d", lambda: nn.ConvTranspose1d(3, 2, 4, stride=2), (2, 3, 6)),
    ("conv2d_wide", lambda: nn.Conv2d(32, 40, 3, stride=2, padding=1, groups=2), (2, 32, 7, 7)),  # the N-d kernels
    ("conv_transpose2d_wide", lambda: nn.ConvTranspose2d(32, 8, 3, stride=2, padding=1, output_padding=1), (2, 32, 4, 4)),
    ("conv3d", lambda: nn.Conv3d(2, 3, 3, padding=1), (2, 2, 4, 4, 4)),
    ("maxpool2d_ceil", lambda: nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), (2, 3, 10, 10)),
    ("maxpool1d", lambda: nn.MaxPool1d(2), (2, 3, 8)),
    ("avgpool2d_pad", lambda: nn.AvgPool2d(3, 2, padding=1), (2, 3, 9, 9)),
    ("avgpool2d_nopadcount", lambda: nn.AvgPool2d(3, 2, padding=1, count_include_pad=False), (2, 3, 9, 9)),
    ("adaptive_avg", lambda: nn.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)),
    ("adaptive_max_global", lambda: nn.AdaptiveMaxPool2d(1), (2, 3, 6, 6)),
    ("batchnorm1d", lambda: nn.BatchNorm1d(5), (4, 5)),
    ("batchnorm2d", lambda: nn.BatchNorm2d(3), (2, 3, 4, 4)),
    ("layernorm", lambda: nn.LayerNorm([4, 5]), (2, 3, 4, 5)),
    ("groupnorm", lambda: nn.GroupNorm(2, 4), (2, 4, 3, 3)),
    ("flatten", lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 2)), (2, 3, 4)),
    ("dropout_eval", lambda: nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.ReLU()), (3, 4)),
    ("reflect_pad", lambda: nn.ReflectionPad2d((1, 2, 0, 1)), (2, 3, 4, 4)),
    ("replicate_pad", lambda: nn.ReplicationPad1d(2), (2, 3, 5)),
    ("zero_pad", lambda: nn.ZeroPad2d(1), (2, 3, 4, 4)),
    ("softmax", lambda: nn.Softmax(dim=-1), (3, 7)),
    ("log_softmax", lambda: nn.LogSoftmax(dim=1), (3, 7)),
]
ACTIVATIONS = [nn.ReLU(), nn.ReLU(inplace=True), nn.LeakyReLU(0.2), nn.ELU(0.7), nn.SELU(), nn.CELU(1.3), nn.GELU(),
               nn.GELU(approximate="tanh"), nn.SiLU(), nn.Mish(), nn.Softplus(beta=2.0), nn.Softsign(), nn.Tanh(),
               nn.Sigmoid(), nn.Hardtanh(-0.5, 0.7), nn.ReLU6(), nn.Hardsigmoid(), nn.Hardswish(), nn.LogSigmoid(),
               nn.PReLU(3), nn.Threshold(0.1, -2.0)]


@pytest.mark.parametrize("name, make, shape", LAYERS, ids=[row[0] for row in LAYERS])
def test_layer_exports_with_a_dynamic_batch(name, make, shape):
    ember.manual_seed(0)
    model = make()
    for p in model.parameters():  # non-trivial weights and statistics
        with ember.no_grad():
            p.copy_(ember.randn(p.shape) * 0.5)
    for b in model.buffers():
        if b.dtype == ember.float32:
            with ember.no_grad():
                b.copy_(ember.rand(b.shape) + 0.5)
    _assert_matches(model, ember.randn(*shape))


@pytest.mark.parametrize("act", ACTIVATIONS, ids=lambda m: repr(m))
def test_activation_exports(act):
    ember.manual_seed(1)
    _assert_matches(nn.Sequential(nn.Linear(3, 3), act), ember.randn(4, 3) * 3)


@pytest.mark.parametrize("factory, shape", [
    (lambda: models.mlp(), (2, 1, 28, 28)),
    (lambda: models.logistic(), (2, 1, 28, 28)),
    (lambda: models.lenet5(), (2, 1, 28, 28)),
    (lambda: models.course_cnn(), (2, 1, 28, 28)),
    (lambda: models.resnet18(num_classes=10), (2, 3, 32, 32)),
    (lambda: models.densenet121(num_classes=10), (2, 3, 32, 32)),
], ids=["mlp", "logistic", "lenet5", "course_cnn", "resnet18", "densenet121"])
def test_model_zoo_exports_with_a_dynamic_batch(factory, shape):
    ember.manual_seed(2)
    model = factory()
    model.train()
    _session(model, ember.randn(*shape))
    assert all(m.training for m in model.modules()), "export restores the modules' training mode"
    _assert_matches(model, ember.randn(*shape), batches=(3,))


def test_embedding_and_recurrent_layers_export():
    class Tagger(nn.Module):
        def __init__(self, rnn):
            super().__init__()
            self.emb = nn.Embedding(20, 6)
            self.rnn = rnn
            self.head = nn.Linear(8, 3)

        def forward(self, x):
            out, _ = self.rnn(self.emb(x))
            return self.head(out)

    for rnn in (nn.LSTM(6, 8, batch_first=True), nn.GRU(6, 8, batch_first=True), nn.RNN(6, 8, batch_first=True),
                nn.LSTM(6, 8, num_layers=2)):
        ember.manual_seed(3)
        model = Tagger(rnn)
        _assert_matches(model, ember.randint(0, 20, (2, 5)), make=lambda n: ember.randint(0, 20, (n, 5)))


def test_functions_and_several_inputs_and_outputs():
    def fn(a, b):
        return (a * b).sum(1), ember.cat([a, b], dim=1).reshape(a.shape[0], -1)[:, 1:]

    a, b = ember.randn(3, 4), ember.randn(3, 4)
    buf = io.BytesIO()
    ember.onnx.export(fn, (a, b), buf, dynamic_axes={"a": {0: "n"}, "b": {0: "n"}})
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["a", "b"]
    assert [o.name for o in sess.get_outputs()] == ["output_0", "output_1"]
    a2, b2 = ember.randn(6, 4), ember.randn(6, 4)
    got = sess.run(None, {"a": a2.numpy(), "b": b2.numpy()})
    for g, w in zip(got, fn(a2, b2)):
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-5, atol=1e-6)


def test_comparisons_logic_and_masks_export():
    class Masks(nn.Module):
        def forward(self, x):
            y = ember.where(x > 0, x, 0.1 * x)
            inner = ember.logical_and(x >= -1, x <= 1) | (x == 0.5)
            outer = ember.logical_not(inner) & ember.logical_or(x < -2, x != x.clamp(-1.5, 1.5))
            odd = ember.logical_xor(x > 0.5, ember.isnan(x)) ^ ember.isinf(x) | ~(y.abs() <= 0.3)
            return y + ember.where(inner, 1.0, 0.0) - ember.where(outer, 2.0, 0.0) + ember.where(odd, 0.5, -0.5)

    x = ember.tensor([[-3.0, -1.2, 0.0], [0.2, 0.5, 2.0]])
    _assert_matches(Masks(), x, make=lambda n: ember.randn(n, 3) * 2)
    sess, _ = _session(Masks(), x)
    np.testing.assert_allclose(sess.run(None, {"x": x.numpy()})[0], Masks()(x).numpy(), rtol=1e-6)
    proto_ops = {n.op_type for n in onnx.load_from_string(_export_bytes(Masks(), x)).graph.node}
    assert {"Greater", "GreaterOrEqual", "LessOrEqual", "Less", "Equal", "Not", "And", "Or", "Xor", "IsNaN",
            "IsInf", "Where"} <= proto_ops


def test_comparison_of_weights_only_stays_a_constant():
    class Fixed(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(ember.tensor([1.0, -2.0, 3.0]))

        def forward(self, x):
            return x * ember.where(self.w > 0, 1.0, 0.0) * ember.isfinite(self.w)

    model = Fixed()
    _assert_matches(model, ember.randn(2, 3))


def _export_bytes(model, example):
    buf = io.BytesIO()
    ember.onnx.export(model, (example,), buf)
    return buf.getvalue()


def test_path_output_names_and_weights_named_as_the_state_dict(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    path = tmp_path / "m.onnx"
    result = ember.onnx.export(model, ember.randn(2, 4), str(path), input_names=["features"], output_names=["logits"],
                               dynamic_axes={"features": [0]})
    proto = onnx.load(str(path))
    assert {i.name for i in proto.graph.initializer} >= {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert [i.name for i in proto.graph.input] == ["features"]
    dim = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert dim.dim_param == "features_dynamic_axes_1"
    x = ember.randn(7, 4)
    np.testing.assert_allclose(result(x)[0], model(x).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_static_export_without_dynamic_axes_fixes_the_batch():
    model = nn.Linear(3, 2)
    buf = io.BytesIO()
    ember.onnx.export(model, ember.randn(4, 3), buf)
    proto = onnx.load_from_string(buf.getvalue())
    assert [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim] == [4, 3]


def test_a_value_computed_outside_ember_ops_is_refused_not_baked_in():
    class Leaky(nn.Module):
        def forward(self, x):
            scale = ember.tensor(x.numpy().max())  # a constant to the tracer, but it depends on x
            return x * scale

    with pytest.raises(ember.onnx.OnnxExporterError, match="changes with the input"):
        ember.onnx.export(Leaky(), ember.randn(2, 3), io.BytesIO())


def test_an_in_place_write_through_the_raw_array_is_refused():
    class RawWrite(nn.Module):
        def forward(self, x):
            y = x * 2
            y._data += 1  # invisible to the door
            return y + 1

    with pytest.raises(ember.onnx.OnnxExporterError, match="modified in place"):
        ember.onnx.export(RawWrite(), ember.randn(2, 3), io.BytesIO())


def test_data_dependent_control_flow_is_refused():
    class Branchy(nn.Module):
        def forward(self, x):
            return x.exp() if x.shape[0] < 3 else x.sin()

    with pytest.raises(ember.onnx.OnnxExporterError, match="control flow"):
        ember.onnx.export(Branchy(), ember.randn(2, 3), io.BytesIO(), dynamic_axes={"x": {0: "n"}})


def test_unsupported_options_and_opsets_raise():
    model = nn.Linear(2, 2)
    with pytest.raises(NotImplementedError, match="custom_opsets"):
        ember.onnx.export(model, ember.randn(1, 2), io.BytesIO(), custom_opsets={"x": 1})
    with pytest.raises(NotImplementedError, match="export_params"):
        ember.onnx.export(model, ember.randn(1, 2), io.BytesIO(), export_params=False)
    with pytest.raises(ValueError, match="opset_version"):
        ember.onnx.export(model, ember.randn(1, 2), io.BytesIO(), opset_version=9)
    with pytest.raises(TypeError, match="tensors"):
        ember.onnx.export(model, ([1.0, 2.0],), io.BytesIO())


@pytest.mark.parametrize("opset", [13, 17, 21])
def test_older_and_newer_opsets(opset):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.LayerNorm(4), nn.Hardswish(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    _assert_matches(model, ember.randn(2, 1, 6, 6), opset_version=opset)


def test_is_in_onnx_export_is_true_only_during_the_trace():
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append(ember.onnx.is_in_onnx_export())
            return x + 1

    ember.onnx.export(Probe(), ember.randn(1, 2), io.BytesIO())
    assert seen and all(seen) and not ember.onnx.is_in_onnx_export()


def test_cli_export_of_a_trained_run_runs_in_onnxruntime(tmp_path):
    import os
    import subprocess
    import sys

    run = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(os.path.dirname(__file__), "..", "..", "src"),
                                                       os.environ.get("PYTHONPATH", "")]))
    train = subprocess.run([sys.executable, "-m", "ember", "train", "--epochs", "1", "--quiet", "--run-dir", str(run)],
                           capture_output=True, text=True, env=env, timeout=300)
    assert train.returncode == 0, train.stderr
    out = tmp_path / "model.onnx"
    proc = subprocess.run([sys.executable, "-m", "ember", "export", str(run), str(out)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout
    from ember.training.rundir import load_run

    _cfg, meta, model = load_run(run)
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    x = ember.randn(7, *meta["input_shape"])
    with ember.no_grad():
        want = model(x).numpy()
    np.testing.assert_allclose(sess.run(None, {"input": x.numpy()})[0], want, rtol=1e-4, atol=1e-5)
    missing = subprocess.run([sys.executable, "-m", "ember", "export", str(tmp_path / "nope"), str(out)],
                             capture_output=True, text=True, env=env, timeout=300)
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
