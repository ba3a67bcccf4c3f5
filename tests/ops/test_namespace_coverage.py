"""Which public names of torch.*, torch.Tensor, torch.linalg, torch.special and
torch.nn.functional ember still lacks: the list must not grow.

``_known_absent.py`` is the maintained allow-list (names judged out of scope or not done yet).
A name missing from ember and not on the list fails the test, so an accidental removal (or an
op deleted by a merge) shows up. Names on the list that ember has gained are reported by
``python tests/ops/test_namespace_coverage.py`` so the list can be trimmed.
"""

from __future__ import annotations

import re

import pytest

import ember

torch = pytest.importorskip("torch")

# Not part of a CPU NumPy framework's surface: devices, quantization, sparse layouts, JIT,
# compiler and C++ internals.
EXCLUDE = re.compile(
    r"cuda|cudnn|mkldnn|miopen|mps|xpu|hpu|mtia|ipu|xla|vulkan|fbgemm|quantiz|q_|qscheme|sparse|_jit|jit|"
    r"fake|sym_|fused|_native|native_|autocast|_copy$|dlpack|nested|segment_reduce|typename|classproperty|"
    r"^is_(distributed|storage|autocast)|import_ir|parse_(ir|schema|type)|merge_type|unify_type|fork$|wait$|"
    r"compiled_with|from_file|get_file_path|vmap|while_loop|cond$|hash_tensor|thread_safe|prepare_multiprocessing|"
    r"storage|pin_memory|share_memory|record_stream|_indices|ccol|crow|row_indices|col_indices|coalesce|to_dense|"
    r"to_padded|values$|indices$|dense_dim|int_repr|q_per|reinforce|module_load|apply_$|map_$|map2_$|"
    r"new_empty_strided|as_subclass|const_data_ptr|dim_order|get_device|is_set_to|is_shared|is_pinned|set_$|"
    r"resize|untyped|is_coalesced|Optional|boolean_dispatch|handle_torch_function|has_torch_function|"
    r"assert_int_or_pair|grouped_mm|scaled_mm|linear_cross_entropy|multi_head_attention_forward"
)


def _missing(torch_obj, ember_obj) -> list[str]:
    names = []
    for n in dir(torch_obj):
        if n.startswith("_") or EXCLUDE.search(n):
            continue
        value = getattr(torch_obj, n, None)
        if not callable(value) or isinstance(value, type):
            continue
        if ember_obj is None or not hasattr(ember_obj, n):
            names.append(n)
    return sorted(names)


def namespaces():
    import ember.nn.functional as EF
    import torch.nn.functional as TF

    return {
        "torch": (torch, ember),
        "Tensor": (torch.Tensor, ember.Tensor),
        "linalg": (torch.linalg, ember.linalg),
        "special": (torch.special, ember.special),
        "nn.functional": (TF, EF),
    }


@pytest.mark.skipif(not torch.__version__.startswith("2.13"), reason="the allow-list was taken against torch 2.13")
@pytest.mark.parametrize("namespace", ["torch", "Tensor", "linalg", "special", "nn.functional"])
def test_absent_names_do_not_grow_beyond_the_allow_list(namespace):
    from _known_absent import KNOWN_ABSENT

    t, e = namespaces()[namespace]
    new = sorted(set(_missing(t, e)) - set(KNOWN_ABSENT[namespace].split()))
    assert not new, f"{namespace}: names torch has and ember lost (or never had and are not on the allow-list): {new}"


if __name__ == "__main__":  # print the current lists (to refresh _known_absent.py) and what can be dropped
    import sys

    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    from _known_absent import KNOWN_ABSENT

    for ns, (t, e) in namespaces().items():
        miss = _missing(t, e)
        stale = sorted(set(KNOWN_ABSENT.get(ns, "").split()) - set(miss))
        print(f"{ns}: {len(miss)} absent; now present (drop from the list): {stale}")
        print("   ", " ".join(miss))
