"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict behave like
PyTorch's (indexing, slicing, mutation, naming, state_dict keys, repr)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn

torch = pytest.importorskip("torch")


def names(m):
    return [n for n, _ in m.named_parameters()]


def test_sequential_positional_and_ordered_dict_names_and_access():
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert list(s._modules) == ["0", "1", "2"]
    od = nn.Sequential(OrderedDict([("fc1", nn.Linear(2, 3)), ("act", nn.ReLU()), ("fc2", nn.Linear(3, 1))]))
    assert isinstance(od.fc1, nn.Linear) and od[0] is od.fc1 and od[-1] is od.fc2
    assert names(od) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    t = torch.nn.Sequential(OrderedDict([("fc1", torch.nn.Linear(2, 3)), ("act", torch.nn.ReLU()), ("fc2", torch.nn.Linear(3, 1))]))
    assert list(od.state_dict()) == list(t.state_dict())
    assert repr(od) == repr(t)


def test_sequential_forward_chains_and_matches_torch_with_loaded_weights():
    e = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2), nn.Sigmoid())
    t = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2), torch.nn.Sigmoid())
    e.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-6, atol=1e-7)


def test_sequential_indexing_slicing_and_errors():
    layers = [nn.Linear(1, 1), nn.ReLU(), nn.Tanh(), nn.Sigmoid()]
    s = nn.Sequential(*layers)
    assert s[0] is layers[0] and s[-1] is layers[3] and s[-4] is layers[0]
    sub = s[1:3]
    assert isinstance(sub, nn.Sequential) and list(sub) == layers[1:3] and list(sub._modules) == ["1", "2"]
    assert list(s[::-1]) == layers[::-1]
    assert len(s) == 4
    with pytest.raises(IndexError, match="index 4 is out of range"):
        s[4]
    with pytest.raises(IndexError, match="index -5 is out of range"):
        s[-5]
    with pytest.raises(TypeError):
        s["0"]


def test_sequential_mutation_matches_torch():
    def run(lib):
        s = lib.nn.Sequential(lib.nn.Linear(1, 2), lib.nn.ReLU(), lib.nn.Linear(2, 3))
        s.append(lib.nn.Tanh())
        s.insert(1, lib.nn.Dropout(0.2))
        s.insert(-1, lib.nn.Identity())
        s.extend([lib.nn.Sigmoid(), lib.nn.ReLU6()])
        popped = s.pop(0)
        del s[1]
        del s[-2:]
        s[0] = lib.nn.GELU()
        s += lib.nn.Sequential(lib.nn.Softplus())
        combined = s + lib.nn.Sequential(lib.nn.ELU())
        return repr(s), repr(popped), repr(combined), list(s._modules), repr(s * 2)

    assert run(ember) == run(torch)


def test_sequential_insert_out_of_range_and_bad_add():
    s = nn.Sequential(nn.ReLU())
    with pytest.raises(IndexError, match="Index out of range: 3"):
        s.insert(3, nn.ReLU())
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        s + [nn.ReLU()]
    with pytest.raises(TypeError, match="is not a Module subclass"):
        nn.Sequential(3)


def test_sequential_dir_hides_numeric_names():
    s = nn.Sequential(nn.ReLU(), nn.ReLU())
    assert "0" not in dir(s) and "append" in dir(s)


def test_module_list_indexing_mutation_and_repr_match_torch():
    def run(lib):
        ml = lib.nn.ModuleList([lib.nn.Linear(2, 2) for _ in range(3)])
        ml.append(lib.nn.ReLU())
        ml.extend([lib.nn.ReLU(), lib.nn.Tanh()])
        ml.insert(0, lib.nn.Sigmoid())
        ml[1] = lib.nn.Linear(2, 2)
        out = [repr(ml), list(ml._modules), [n for n, _ in ml.named_parameters()]]
        del ml[0]
        popped = ml.pop(-1)
        sub = ml[1:3]
        ml += [lib.nn.GELU()]
        both = ml + lib.nn.ModuleList([lib.nn.ELU()])
        out += [repr(ml), repr(popped), repr(sub), type(sub).__name__, list(ml._modules), repr(both), len(ml)]
        return out

    assert run(ember) == run(torch)


def test_module_list_errors_and_empty_repr():
    ml = nn.ModuleList()
    assert repr(ml) == "ModuleList()" == repr(torch.nn.ModuleList())
    with pytest.raises(IndexError, match="index 0 is out of range"):
        ml[0]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable, but got int"):
        ml.extend(3)


def test_module_list_params_are_registered_and_trained():
    ml = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
    x = ember.randn(3, 2)
    for layer in ml:
        x = layer(x)
    x.sum().backward()
    assert all(p.grad is not None for p in ml.parameters())
    assert len(list(ml.parameters())) == 4


def test_module_dict_behaves_like_an_ordered_dict():
    def run(lib):
        md = lib.nn.ModuleDict({"b": lib.nn.ReLU(), "a": lib.nn.Linear(1, 1)})
        md["c"] = lib.nn.Tanh()
        md.update([("d", lib.nn.Sigmoid())])
        md.update(OrderedDict(e=lib.nn.GELU()))
        out = [list(md.keys()), [type(v).__name__ for v in md.values()], "a" in md, len(md), repr(md)]
        popped = md.pop("b")
        del md["c"]
        out += [list(md), type(popped).__name__, [k for k, _ in md.items()], [n for n, _ in md.named_parameters()]]
        md.clear()
        out.append(len(md))
        return out

    assert run(ember) == run(torch)


def test_module_dict_update_errors():
    md = nn.ModuleDict()
    with pytest.raises(TypeError, match="ModuleDict.update should be called with an iterable of key/value pairs, but got int"):
        md.update(3)
    with pytest.raises(ValueError, match="ModuleDict update sequence element #0 has length 3; 2 is required"):
        md.update([("a", nn.ReLU(), 1)])


def test_parameter_list_wraps_tensors_and_registers():
    pl = nn.ParameterList([ember.zeros(2), nn.Parameter(ember.ones(3))])
    pl.append(ember.ones(2, 2))
    pl.extend([ember.zeros(1)])
    assert len(pl) == 4 and all(isinstance(p, nn.Parameter) for p in pl)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2", "3"]
    assert pl[-1] is pl[3]
    sliced = pl[1:3]
    assert isinstance(sliced, nn.ParameterList) and len(sliced) == 2 and sliced[0] is pl[1]
    pl[0] = ember.full((2,), 7.0)
    assert isinstance(pl[0], nn.Parameter) and pl[0][0].item() == 7.0
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(1)
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable, but got Tensor"):
        pl.extend(ember.zeros(2))


def test_parameter_list_repr_matches_torch_modulo_dtype_prefix():
    e = nn.ParameterList([ember.zeros(2, 3), ember.zeros(4)])
    t = torch.nn.ParameterList([torch.zeros(2, 3), torch.zeros(4)])
    assert repr(e).replace("ember.", "torch.") == repr(t)


def test_parameter_dict_behaviour_and_repr_match_torch():
    def run(lib):
        pd = lib.nn.ParameterDict({"w": lib.nn.Parameter(lib.zeros(2, 2)), "b": lib.zeros(3)})
        pd["c"] = lib.ones(1)
        pd.update(OrderedDict(z=lib.zeros(1), a=lib.zeros(2)))
        out = [list(pd.keys()), repr(pd), [n for n, _ in pd.named_parameters()], "c" in pd, len(pd)]
        out.append(type(pd.pop("c")).__name__)
        k, _ = pd.popitem()
        out += [k, list(pd), pd.get("nope", 5), pd.setdefault("n", lib.zeros(1)) is pd["n"], list(pd | lib.nn.ParameterDict({"q": lib.zeros(1)}))]
        return out

    assert run(ember) == run(torch)


def test_parameter_dict_rejects_non_string_keys_and_calls():
    pd = nn.ParameterDict()
    with pytest.raises(TypeError, match="Index given to ParameterDict cannot be used as a key as it is not a string"):
        pd[1] = ember.zeros(1)
    with pytest.raises(RuntimeError, match="ParameterDict should not be called."):
        pd(1)


def test_mlp_state_dict_keys_match_torch_for_nested_containers():
    def model(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = lib.nn.Sequential(
                    OrderedDict([("fc1", lib.nn.Linear(4, 8)), ("act1", lib.nn.ReLU()), ("fc2", lib.nn.Linear(8, 8))])
                )
                self.blocks = lib.nn.ModuleList([lib.nn.Sequential(lib.nn.Linear(8, 8), lib.nn.GELU()) for _ in range(2)])
                self.heads = lib.nn.ModuleDict({"cls": lib.nn.Linear(8, 3), "reg": lib.nn.Linear(8, 1)})
                self.scales = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(8)) for _ in range(2)])
                self.emb = lib.nn.Embedding(5, 8)
                self.prelu = lib.nn.PReLU()

            def forward(self, x, idx):
                h = self.encoder(x) + self.emb(idx)
                for s, b in zip(self.scales, self.blocks):
                    h = b(h) * s
                h = self.prelu(h)
                return self.heads["cls"](h), self.heads["reg"](h)

        return Net()

    e, t = model(ember), model(torch)
    assert list(e.state_dict()) == list(t.state_dict())
    assert repr(e) == repr(t).replace("torch.float32", "ember.float32")
    e.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((6, 4)).astype(np.float32)
    idx = np.array([0, 1, 4, 2, 2, 3])
    out_e = e(ember.tensor(x), ember.tensor(idx))
    out_t = t(torch.tensor(x), torch.tensor(idx))
    for a, b in zip(out_e, out_t):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    (out_e[0].sum() + out_e[1].sum()).backward()
    (out_t[0].sum() + out_t[1].sum()).backward()
    grads_t = dict(t.named_parameters())
    for n, p in e.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads_t[n].grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=n)
