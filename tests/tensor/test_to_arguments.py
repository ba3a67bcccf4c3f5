"""``Tensor.to`` and ``Module.to`` read their arguments as PyTorch does (one parser, ``ember._to_args``)."""

import pytest

import ember

torch = pytest.importorskip("torch")


def _calls(lib):
    t = lib.ones(2)
    return {
        "dtype": lambda: t.to(lib.float64),
        "device": lambda: t.to("cpu"),
        "device_dtype": lambda: t.to("cpu", lib.float64),
        "device_obj_dtype": lambda: t.to(lib.device("cpu"), lib.float64),
        "tensor": lambda: t.to(lib.ones(1, dtype=lib.float64)),
        "keywords": lambda: t.to(dtype=lib.float64, device="cpu"),
        "none": lambda: t.to(None),
        "none_none": lambda: t.to(None, None),
        "dtype_flags": lambda: t.to(lib.float64, False, True),
        "device_flags": lambda: t.to("cpu", lib.float32, False, True),
        "copy_keyword": lambda: t.to(copy=True),
        "non_blocking": lambda: t.to("cpu", non_blocking=True),
        "memory_format": lambda: lib.ones(1, 2, 2, 2).to(lib.float64, memory_format=lib.channels_last),
        # refused
        "dtype_twice": lambda: t.to(lib.float64, dtype=lib.float32),
        "device_twice": lambda: t.to("cpu", device="cpu"),
        "dtype_then_device": lambda: t.to(lib.float64, "cpu"),
        "unknown_keyword": lambda: t.to(foo=1),
        "three_flags": lambda: t.to(lib.float64, False, False, False),
        "flag_twice": lambda: t.to(lib.float64, True, non_blocking=True),
        "not_a_flag": lambda: t.to(lib.float64, 3),
        "cuda_index": lambda: t.to(0),
        "cuda": lambda: t.to("cuda"),
        "bad_memory_format": lambda: t.to(memory_format=3),
        "none_memory_format": lambda: t.to(lib.float64, memory_format=None),
    }


@pytest.mark.parametrize("case", sorted(_calls(torch)))
def test_tensor_to_matches_torch(case):
    def run(lib):
        try:
            out = _calls(lib)[case]()
        except Exception as e:  # noqa: BLE001 - the error class is what is compared
            return type(e), str(e).splitlines()[0][:45]
        return str(out.dtype).split(".")[-1], tuple(out.shape), tuple(out.stride())

    ours, theirs = run(ember), run(torch)
    if isinstance(theirs[0], type):
        assert isinstance(ours[0], type) and issubclass(ours[0], (theirs[0], AssertionError)), (ours, theirs)
        if theirs[0] is TypeError:
            assert ours[1] == theirs[1]
    else:
        assert ours == theirs


def test_same_tensor_returned_unless_copy():
    t = ember.ones(2)
    assert t.to(ember.float32) is t and t.to("cpu") is t and t.to(t) is t
    assert t.to(ember.float32, copy=True) is not t
    assert t.to(ember.float32, False, True) is not t


def test_invalid_combination_names_what_came():
    with pytest.raises(TypeError, match=r"got \(torch.dtype, dtype=torch.dtype, \), but expected one of"):
        ember.ones(2).to(ember.float64, dtype=ember.float32)


@pytest.mark.parametrize("case", ["dtype", "device_dtype", "tensor", "flags", "copy", "int_dtype", "unknown", "index"])
def test_module_to_matches_torch(case):
    def run(lib):
        m = lib.nn.Linear(2, 2)
        calls = {
            "dtype": lambda: m.to(lib.float64),
            "device_dtype": lambda: m.to("cpu", lib.float64, True),
            "tensor": lambda: m.to(lib.ones(1, dtype=lib.float64)),
            "flags": lambda: m.to(lib.float64, non_blocking=True),
            "copy": lambda: m.to(copy=True),
            "int_dtype": lambda: m.to(lib.int64),
            "unknown": lambda: m.to(foo=1),
            "index": lambda: m.to(1),
        }
        try:
            out = calls[case]()
        except Exception as e:  # noqa: BLE001
            return type(e), str(e).splitlines()[0][:40]
        assert out is m
        return str(m.weight.dtype).split(".")[-1]

    ours, theirs = run(ember), run(torch)
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and issubclass(ours[0], (theirs[0], AssertionError)), (ours, theirs)
        if theirs[0] is not RuntimeError or case == "copy":
            assert ours[1] == theirs[1]
    else:
        assert ours == theirs
