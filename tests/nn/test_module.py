"""nn.Module: registration, traversal, state_dict / load_state_dict, modes, dtype conversion,
hooks and printing, each checked against PyTorch where PyTorch defines the answer."""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn

torch = pytest.importorskip("torch")


def build(lib):
    """The same nested architecture in ember or torch (``lib`` is the package)."""

    class Block(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = lib.nn.Linear(4, 8)
            self.act = lib.nn.ReLU()
            self.layers = lib.nn.ModuleList([lib.nn.Linear(8, 8), lib.nn.Tanh(), lib.nn.Linear(8, 8, bias=False)])
            self.head = lib.nn.Sequential(OrderedDict([("drop", lib.nn.Dropout(0.1)), ("out", lib.nn.Linear(8, 3))]))
            self.register_buffer("scale", lib.ones(3) * 2)
            self.register_buffer("cache", lib.zeros(2), persistent=False)
            self.gain = lib.nn.Parameter(lib.ones(1))

        def forward(self, x):
            x = self.act(self.fc1(x))
            for layer in self.layers:
                x = layer(x)
            return self.head(x) * self.scale * self.gain

    return Block()


def to_numpy_state(module):
    return OrderedDict((k, v.detach().numpy().copy()) for k, v in module.state_dict().items())


# -- registration ----------------------------------------------------------------------------


def test_assigning_parameter_module_and_buffer_registers_them():
    m = nn.Module()
    m.w = nn.Parameter(ember.zeros(2))
    m.sub = nn.Linear(2, 2)
    m.register_buffer("running", ember.ones(2))
    m.plain = 3
    assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"] and list(m._buffers) == ["running"]
    assert "w" not in m.__dict__ and "sub" not in m.__dict__ and m.__dict__["plain"] == 3
    assert m.w is m._parameters["w"] and m.sub is m._modules["sub"] and m.running is m._buffers["running"]
    m.running = ember.zeros(2)  # reassigning a buffer name keeps it a buffer
    assert np.all(m._buffers["running"].numpy() == 0)
    m.buf2 = nn.Buffer(ember.ones(1), persistent=False)
    assert "buf2" in m._buffers and "buf2" not in m.state_dict()


def test_assigning_a_parameter_replaces_a_plain_attribute_and_vice_versa():
    m = nn.Module()
    m.x = 1
    m.x = nn.Parameter(ember.zeros(1))
    assert "x" not in m.__dict__ and "x" in m._parameters
    m.x = None
    assert m._parameters["x"] is None and m.x is None
    assert list(m.parameters()) == []


@pytest.mark.parametrize("lib_name", ["ember", "torch"])
def test_assigning_plain_tensor_to_parameter_name_raises_type_error(lib_name):
    lib = ember if lib_name == "ember" else torch
    m = lib.nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"cannot assign 'torch.FloatTensor' as parameter 'weight' \(torch.nn.Parameter or None expected\)"):
        m.weight = lib.zeros(2, 2)


def test_registration_errors_match_torch_messages():
    def messages(lib):
        out = []
        m = lib.nn.Linear(2, 2)
        for action in (
            lambda: m.register_parameter("a.b", None),
            lambda: m.register_parameter("", None),
            lambda: m.register_parameter("x", lib.zeros(2)),
            lambda: m.register_parameter(3, None),
            lambda: m.register_buffer("weight", lib.zeros(1)),
            lambda: m.register_buffer("b", [1, 2]),
            lambda: m.register_buffer("a.b", None),
            lambda: m.add_module("in_features", lib.nn.ReLU()),
            lambda: m.add_module("x", 3),
            lambda: m.add_module("a.b", lib.nn.ReLU()),
            lambda: m.add_module("", lib.nn.ReLU()),
            lambda: setattr(lib.nn.Sequential(lib.nn.ReLU()), "0", 5),
        ):
            with pytest.raises(Exception) as info:
                action()
            out.append((type(info.value), str(info.value)))
        return out

    assert messages(ember) == messages(torch)


def test_cannot_assign_before_module_init():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.zeros(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call"):
        Bad()


def test_non_leaf_parameter_assignment_is_refused():
    m = nn.Module()
    p = nn.Parameter(ember.zeros(2))
    q = nn.Parameter(ember.zeros(2))
    q.grad_fn = (p * 2).grad_fn
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'q'"):
        m.register_parameter("q", q)


def test_getattr_error_and_delattr():
    m = nn.Linear(2, 3)
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        _ = m.nope
    del m.bias
    assert "bias" not in m._parameters
    m.extra = 1
    del m.extra
    assert not hasattr(m, "extra")


def test_dir_lists_parameters_buffers_and_children():
    m = build(ember)
    names = dir(m)
    for key in ("fc1", "layers", "head", "scale", "gain", "forward", "training"):
        assert key in names


def test_forward_not_implemented_message():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward" function'):
        nn.Module()(1)


def test_module_init_rejects_unexpected_arguments():
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        nn.Module(foo=1)


# -- traversal --------------------------------------------------------------------------------


def test_named_parameters_buffers_modules_match_torch():
    e, t = build(ember), build(torch)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]
    assert [n for n, _ in e.named_parameters(prefix="model", recurse=False)] == ["model.gain"]
    assert [n for n, _ in e.named_modules(prefix="root")][:2] == ["root", "root.fc1"]
    assert len(list(e.modules())) == len(list(t.modules())) == 10


def test_shared_parameters_and_modules_are_counted_once():
    def tied(lib):
        lin = lib.nn.Linear(3, 3)
        model = lib.nn.Sequential(lin, lib.nn.ReLU(), lin)
        model.extra = lib.nn.Linear(3, 3)
        model.extra.weight = lin.weight
        return model

    e, t = tied(ember), tied(torch)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()] == ["0.weight", "0.bias", "extra.bias"]
    assert len(list(e.parameters())) == 3
    assert [n for n, _ in e.named_parameters(remove_duplicate=False)] == [n for n, _ in t.named_parameters(remove_duplicate=False)]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert list(e.state_dict()) == list(t.state_dict())  # state_dict keeps every alias, like torch


def test_get_submodule_parameter_and_buffer():
    m = build(ember)
    assert m.get_submodule("head.out") is m.head.out
    assert m.get_submodule("") is m
    assert m.get_parameter("layers.0.weight") is m.layers[0].weight
    assert m.get_buffer("scale") is m.scale
    with pytest.raises(AttributeError, match="Sequential has no attribute `missing`"):
        m.get_submodule("head.missing")
    with pytest.raises(AttributeError, match="`weight` is not an nn.Module"):
        m.get_submodule("fc1.weight")
    with pytest.raises(AttributeError, match="`scale` is not an nn.Parameter"):
        m.get_parameter("scale")
    with pytest.raises(AttributeError, match="`gain` is not a buffer"):
        m.get_buffer("gain")


def test_apply_visits_children_before_parent():
    m = build(ember)
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen[-1] == "Block" and seen[0] == "Linear"
    t_seen = []
    build(torch).apply(lambda mod: t_seen.append(type(mod).__name__))
    assert seen == t_seen


# -- state dict -------------------------------------------------------------------------------


def test_state_dict_keys_and_order_match_torch():
    e, t = build(ember), build(torch)
    assert list(e.state_dict().keys()) == list(t.state_dict().keys())
    assert "cache" not in e.state_dict()  # non-persistent buffer
    assert list(e.state_dict(prefix="model.").keys())[0] == "model.gain"
    assert dict(e.state_dict()._metadata) == dict(t.state_dict()._metadata)


def test_state_dict_values_are_detached_views_and_keep_vars_returns_parameters():
    m = nn.Linear(2, 2)
    sd = m.state_dict()
    assert not sd["weight"].requires_grad and not isinstance(sd["weight"], nn.Parameter)
    sd["weight"]._data[0, 0] = 42.0  # shares memory, like torch
    assert m.weight._data[0, 0] == 42.0
    assert m.state_dict(keep_vars=True)["weight"] is m.weight


def test_load_state_dict_from_torch_gives_identical_outputs():
    t = build(torch).eval()
    e = build(ember).eval()
    result = e.load_state_dict(to_numpy_state(t))
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_load_state_dict_accepts_torch_tensors_and_ember_tensors():
    t = torch.nn.Linear(3, 2)
    e = nn.Linear(3, 2)
    e.load_state_dict(t.state_dict())
    np.testing.assert_array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())
    e2 = nn.Linear(3, 2)
    e2.load_state_dict(e.state_dict())
    np.testing.assert_array_equal(e2.bias.detach().numpy(), e.bias.detach().numpy())
    assert e2.bias._data is not e.bias._data  # copied, not aliased


def test_load_state_dict_copies_in_place_keeping_parameter_identity():
    m = nn.Linear(2, 2)
    w = m.weight
    version = w._version[0]
    m.load_state_dict({"weight": np.ones((2, 2), np.float64), "bias": np.zeros(2, np.float32)})
    assert m.weight is w and w.dtype == ember.float32 and w._version[0] > version
    assert np.all(w.detach().numpy() == 1)
    assert w.requires_grad


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


def test_load_state_dict_errors_match_torch_exactly():
    def cases(lib):
        m = lib.nn.Linear(3, 2)
        return [
            _error(lambda: m.load_state_dict({"weight": np.zeros((2, 3), np.float32)} if lib is ember else {"weight": torch.zeros(2, 3)})),
            _error(lambda: m.load_state_dict({"weight": (np.zeros if lib is ember else torch.zeros)((2, 3)), "bias": (np.zeros if lib is ember else torch.zeros)(2), "extra": (np.zeros if lib is ember else torch.zeros)(1)})),
            _error(lambda: m.load_state_dict({"weight": (np.zeros if lib is ember else torch.zeros)((4, 3)), "bias": (np.zeros if lib is ember else torch.zeros)(2)})),
            _error(lambda: m.load_state_dict({"bias": (np.zeros if lib is ember else torch.zeros)(2), "junk.x": (np.zeros if lib is ember else torch.zeros)(1)})),
            _error(lambda: m.load_state_dict({"weight": 3, "bias": (np.zeros if lib is ember else torch.zeros)(2)})),
            _error(lambda: m.load_state_dict([1, 2])),
        ]

    got, want = cases(ember), cases(torch)
    assert got == want
    assert got[0][1] == 'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". '
    assert "size mismatch for weight: copying a param with shape torch.Size([4, 3]) from checkpoint, the shape in current model is torch.Size([2, 3])." in got[2][1]


def test_load_state_dict_nested_errors_match_torch():
    def case(lib):
        m = build(lib)
        sd = {k: v.detach().numpy() if lib is ember else v for k, v in m.state_dict().items()}
        del sd["layers.0.bias"]
        sd["head.out.weight"] = sd["head.out.weight"][:2]
        sd["layers.5.weight"] = sd["scale"]
        return _error(lambda: m.load_state_dict(sd))

    assert case(ember) == case(torch)


def test_load_state_dict_non_strict_returns_missing_and_unexpected():
    e = build(ember)
    sd = to_numpy_state(build(torch))
    sd.pop("fc1.bias")
    sd["bogus"] = np.zeros(1)
    sd["head.nothere.weight"] = np.zeros(1)
    result = e.load_state_dict(sd, strict=False)
    t_result = build(torch).load_state_dict({k: torch.tensor(v) for k, v in sd.items()}, strict=False)
    assert result.missing_keys == t_result.missing_keys == ["fc1.bias"]
    assert result.unexpected_keys == t_result.unexpected_keys
    missing, unexpected = result
    assert missing == ["fc1.bias"]
    assert repr(result) == repr(t_result)


def test_load_state_dict_scalar_param_accepts_one_element_vector_and_assign_replaces():
    m = nn.Module()
    m.s = nn.Parameter(ember.tensor(1.0))
    m.load_state_dict({"s": np.array([5.0])})
    assert m.s.item() == 5.0
    lin = nn.Linear(2, 2)
    w = lin.weight
    lin.load_state_dict({"weight": ember.ones(2, 2, dtype=ember.float64), "bias": ember.zeros(2)}, assign=True)
    assert lin.weight is not w and isinstance(lin.weight, nn.Parameter) and lin.weight.dtype == ember.float64
    assert lin.weight.requires_grad


def test_load_state_dict_post_hook_and_extra_state():
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)
            self.note = "a"

        def get_extra_state(self):
            return {"note": self.note}

        def set_extra_state(self, state):
            self.note = state["note"]

    m = WithExtra()
    m.note = "changed"
    sd = m.state_dict()
    assert list(sd) == ["_extra_state", "lin.weight", "lin.bias"]  # own state first, as in torch
    other = WithExtra()
    calls = []
    other.register_load_state_dict_post_hook(lambda mod, keys: calls.append(list(keys.missing_keys)))
    other.load_state_dict(sd)
    assert other.note == "changed" and calls == [[]]


# -- modes, grads, dtypes ---------------------------------------------------------------------


def test_train_eval_propagate_and_validate():
    m = build(ember)
    assert m.eval() is m
    assert all(not mod.training for mod in m.modules())
    m.train()
    assert all(mod.training for mod in m.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")


def test_zero_grad_set_to_none_and_to_zero():
    m = nn.Linear(3, 2)
    m(ember.randn(4, 3)).sum().backward()
    g = m.weight.grad
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is g and np.all(g.numpy() == 0)
    m(ember.randn(4, 3)).sum().backward()
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None


def test_requires_grad_toggles_every_parameter():
    m = build(ember)
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    out = m(ember.randn(2, 4))
    assert not out.requires_grad


def test_to_double_converts_in_place_and_keeps_parameter_objects():
    m = build(ember)
    params = list(m.parameters())
    m(ember.randn(2, 4)).sum().backward()
    assert m.double() is m
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]
    assert all(p.dtype == ember.float64 for p in m.parameters())
    assert all(p.grad.dtype == ember.float64 for p in m.parameters())
    assert m.scale.dtype == ember.float64
    assert m(ember.randn(2, 4, dtype=ember.float64)).dtype == ember.float64
    m.to(ember.float32)
    assert m.fc1.weight.dtype == ember.float32
    m.half()
    assert m.fc1.weight.dtype == ember.float16
    m.float()
    m.to(ember.zeros(1, dtype=ember.float64))
    assert m.fc1.bias.dtype == ember.float64
    m.to("cpu").cpu()
    m.to(device="cpu", dtype=ember.float32)
    assert m.fc1.bias.dtype == ember.float32


def test_to_keeps_integer_buffers_and_refuses_integer_dtype_and_gpus():
    m = nn.Module()
    m.register_buffer("count", ember.tensor([1, 2]))
    m.double()
    assert m.count.dtype == ember.int64
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes"):
        m.to(ember.int64)
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):  # as PyTorch's CPU build
        m.cuda()
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        m.to("cuda")


# -- hooks ------------------------------------------------------------------------------------


def test_forward_pre_hook_and_forward_hook_modify_input_and_output_and_remove():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(args[0].sum().item()) or out + 1)
    out = m(ember.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), m.bias.detach().numpy()[None] + 1, rtol=1e-6)
    assert calls == [0.0]
    h1.remove()
    h2.remove()
    out2 = m(ember.ones(1, 2))
    np.testing.assert_allclose(out2.detach().numpy(), ember.nn.functional.linear(ember.ones(1, 2), m.weight, m.bias).detach().numpy())
    assert len(calls) == 1


def test_hooks_with_kwargs_prepend_order_and_context_manager():
    class Add(nn.Module):
        def forward(self, x, *, y=0):
            return x + y

    m = Add()
    order = []
    m.register_forward_hook(lambda mod, a, o: order.append("second"))
    m.register_forward_hook(lambda mod, a, o: order.append("first"), prepend=True)
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"y": 10}), with_kwargs=True)
    seen = {}
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.update(kwargs), with_kwargs=True)
    assert m(1, y=2) == 11
    assert order == ["first", "second"] and seen == {"y": 10}
    with m.register_forward_pre_hook(lambda mod, args: (100,)):
        assert m(1) == 110
    assert m(1) == 11


def test_always_call_forward_hook_runs_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    called = []
    m.register_forward_hook(lambda mod, a, o: called.append(o), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(1)
    assert called == [None]


def test_full_backward_hook_sees_grad_input_and_grad_output_like_torch():
    def run(lib):
        lin = lib.nn.Linear(3, 2)
        with (torch.no_grad() if lib is torch else ember.no_grad()):
            lin.weight.copy_(lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]]))
            lin.bias.copy_(lib.tensor([0.5, -0.25]))
        seen = {}

        def hook(mod, grad_input, grad_output):
            seen["gi"] = [g.detach().numpy().copy() for g in grad_input]
            seen["go"] = [g.detach().numpy().copy() for g in grad_output]
            return (grad_input[0] * 2,)

        pre = []
        lin.register_full_backward_pre_hook(lambda mod, go: pre.append(go[0].shape))
        lin.register_full_backward_hook(hook)
        x = lib.tensor([[1.0, -1.0, 0.5]], requires_grad=True)
        lin(x).pow(2).sum().backward()
        return seen, x.grad.numpy(), pre

    (se, ge, pe), (st, gt, pt) = run(ember), run(torch)
    np.testing.assert_allclose(se["go"][0], st["go"][0], rtol=1e-6)
    np.testing.assert_allclose(se["gi"][0], st["gi"][0], rtol=1e-6)
    np.testing.assert_allclose(ge, gt, rtol=1e-6)
    assert [tuple(s) for s in pe] == [tuple(s) for s in pt] == [(1, 2)]


# -- printing and copying ------------------------------------------------------------------------


def test_nested_repr_matches_torch():
    assert repr(build(ember)) == repr(build(torch))

    def stack(lib):
        return lib.nn.Sequential(
            lib.nn.Flatten(),
            lib.nn.ModuleList([lib.nn.Linear(4, 4) for _ in range(3)] + [lib.nn.ReLU(), lib.nn.ReLU(), lib.nn.Linear(4, 2)]),
            lib.nn.ModuleDict({"a": lib.nn.Dropout(0.3), "b": lib.nn.Sequential()}),
            lib.nn.Identity(),
        )

    assert repr(stack(ember)) == repr(stack(torch))


def test_extra_repr_multiline_and_custom_name():
    class Custom(nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"

    assert repr(Custom()) == "Custom(\n  a=1\n  b=2\n)"


def test_deepcopy_preserves_shared_parameters_and_values():
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, lin)
    c = copy.deepcopy(m)
    assert c[0] is c[1] and c[0].weight is not lin.weight
    np.testing.assert_array_equal(c[0].weight.detach().numpy(), lin.weight.detach().numpy())
    assert isinstance(c[0].weight, nn.Parameter) and c[0].weight.requires_grad
    assert len(list(c.parameters())) == 2


def test_pickle_roundtrip_of_a_module():
    m = build(ember).eval()
    clone = copy.deepcopy(m)  # a locally defined class cannot be pickled; deepcopy goes through the same protocol
    x = ember.randn(3, 4)
    np.testing.assert_array_equal(clone(x).detach().numpy(), m(x).detach().numpy())
    lin = nn.Linear(3, 1)
    restored = pickle.loads(pickle.dumps(lin))
    np.testing.assert_array_equal(restored.weight.detach().numpy(), lin.weight.detach().numpy())
    assert isinstance(restored.weight, nn.Parameter) and restored.weight.requires_grad


# -- Parameter -----------------------------------------------------------------------------------


def test_parameter_shares_data_and_prints_like_torch():
    t = ember.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert isinstance(p, ember.Tensor) and p.requires_grad and p.is_leaf
    p._data[0] = 5.0
    assert t[0].item() == 5.0
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([5.0, 2.0])))
    frozen = nn.Parameter(ember.zeros(2), requires_grad=False)
    assert not frozen.requires_grad
    assert nn.Parameter().shape == (0,)
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        nn.Parameter(ember.tensor([1, 2]))


def test_parameter_ops_return_plain_tensors_and_detach():
    p = nn.Parameter(ember.ones(2))
    assert type(p * 2) is ember.Tensor
    assert type(p.detach()) is ember.Tensor
    (p * 3).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [3.0, 3.0])


def test_call_fast_path_goes_straight_to_forward():
    class Count(nn.Module):
        def __init__(self):
            super().__init__()
            self.n = 0

        def forward(self, x):
            self.n += 1
            return x

    m = Count()
    for _ in range(100):
        m(1)
    assert m.n == 100
    assert "n" in m.__dict__  # plain attributes never touch __getattr__
