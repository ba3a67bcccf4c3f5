"""Errors name what was expected and what came, in PyTorch's words (checked against torch)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _torch_message(fn):
    with pytest.raises(Exception) as info:
        fn(torch)
    return type(info.value), str(info.value)


def _same_error(fn):
    """ember raises the same exception type with the same message as torch."""
    kind, message = _torch_message(fn)
    with pytest.raises(kind, match=re.escape(message)):
        fn(ember)


def test_mm_shape_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=re.escape("mat1 and mat2 shapes cannot be multiplied (64x784 and 100x10)")):
        ember.mm(ember.zeros(64, 784), ember.zeros(100, 10))


def test_matmul_operator_shape_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=re.escape("mat1 and mat2 shapes cannot be multiplied (64x784 and 100x10)")):
        ember.zeros(64, 784) @ ember.zeros(100, 10)


@pytest.mark.parametrize(
    "case",
    [
        lambda L: L.ones(2, 3) @ L.ones(4, 5),
        lambda L: L.ones(4) @ L.ones(5, 4),
        lambda L: L.ones(3, 4) @ L.ones(5),
        lambda L: L.ones(2, 3, 4) @ L.ones(5, 4),
        lambda L: L.bmm(L.ones(2, 3, 4), L.ones(2, 5, 4)),
        lambda L: L.ones(2, 3, 4) @ L.ones(2, 5, 4),
        lambda L: L.mv(L.ones(2, 3), L.ones(4)),
        lambda L: L.dot(L.ones(2), L.ones(3)),
        lambda L: L.ones(2, 2) @ L.ones(2, 2, dtype=L.float64),
        lambda L: L.addmm(L.ones(3, 2), L.ones(3, 4), L.ones(5, 2)),
    ],
    ids=["2d", "1d_2d", "2d_1d", "3d_2d", "bmm", "3d_3d", "mv", "dot", "dtype", "addmm"],
)
def test_matrix_product_errors_match_torch(case):
    _same_error(case)


@pytest.mark.parametrize(
    "case",
    [
        lambda L: L.ones(2, 3) + L.ones(2, 4),
        lambda L: L.ones(5, 3, 4) - L.ones(2, 4),
        lambda L: L.ones(2, 3) * L.ones(4, 3),
        lambda L: L.ones(2, 3) / L.ones(3, 2),
        lambda L: L.ones(2, 3) ** L.ones(3, 2),
        lambda L: L.maximum(L.ones(2, 3), L.ones(4, 3)),
        lambda L: L.where(L.ones(2, 3) > 0, L.ones(2, 3), L.ones(4, 3)),
        lambda L: L.ones(2, 3) % L.ones(4, 3),
        lambda L: L.ones(2, 3) < L.ones(4, 3),
    ],
    ids=["add", "sub_3d", "mul", "div", "pow", "maximum", "where", "remainder", "lt"],
)
def test_broadcast_mismatch_raises_torch_message(case):
    _same_error(case)


def test_add_broadcast_mismatch_message_names_sizes_and_dimension():
    with pytest.raises(RuntimeError, match=re.escape("The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1")):
        ember.ones(2, 3) + ember.ones(2, 4)


def test_broadcast_mismatch_in_graph_raises_the_same_message():
    a = ember.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape("The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1")):
        a * ember.ones(2, 4)


@pytest.mark.parametrize(
    "case",
    [
        lambda L: L.ones(2, 3).view(3, -1, 5),
        lambda L: L.ones(2, 3).view(4, 2),
        lambda L: L.ones(2, 3).t().view(6),
        lambda L: L.ones(2, 3).view(-1, -1),
        lambda L: L.ones(2, 3).reshape(4, 2),
    ],
    ids=["minus1_invalid", "count", "non_contiguous", "two_minus1", "reshape"],
)
def test_view_errors_match_torch(case):
    _same_error(case)


@pytest.mark.parametrize(
    "case",
    [
        lambda L: L.cat([L.ones(2, 3), L.ones(3, 4)]),
        lambda L: L.cat([L.ones(2, 3), L.ones(3)]),
        lambda L: L.cat([L.ones(2, 3), L.ones(2, 4)], dim=0),
        lambda L: L.cat([]),
        lambda L: L.stack([L.ones(2, 3), L.ones(3, 2)]),
        lambda L: L.ones(2, 3).split([1, 3], 1),
    ],
    ids=["cat_size", "cat_rank", "cat_dim0", "cat_empty", "stack", "split_sizes"],
)
def test_join_and_split_size_errors_match_torch(case):
    _same_error(case)


@pytest.mark.parametrize(
    "case",
    [
        lambda L: L.ones(2, 3)[2],
        lambda L: L.ones(2, 3)[0, 5],
        lambda L: L.ones(2, 3)[-3],
        lambda L: L.ones(2, 3)[L.tensor([0, 3])],
        lambda L: L.ones(2, 3)[L.tensor([0, 1]), L.tensor([0, 3])],
        lambda L: L.ones(2, 3)[0, 0, 0],
        lambda L: L.ones(2, 3)[L.ones(3, dtype=L.bool)],
        lambda L: L.ones(2, 3)[L.ones(2, 2, dtype=L.bool)],
        lambda L: L.ones(2, 3)[:, L.ones(2, dtype=L.bool)],
        lambda L: L.ones(2, 3)[L.tensor([0.0])],
        lambda L: L.ones(2, 3).sum(2),
        lambda L: L.ones(2, 3).squeeze(2),
        lambda L: L.ones(2, 3).unsqueeze(3),
        lambda L: L.ones(2, 3).transpose(0, 2),
        lambda L: L.ones(2, 3).narrow(1, 2, 2),
    ],
    ids=["row", "col", "neg", "tensor", "tensor_pair", "too_many", "mask_shape", "mask_2d_shape", "mask_col_shape", "float_index", "sum_dim", "squeeze_dim",
         "unsqueeze_dim", "transpose_dim", "narrow"],
)
def test_index_out_of_range_errors_match_torch(case):
    _same_error(case)


def test_tensor_index_out_of_range_names_the_indexed_dimension():
    # torch counts this dim among the advanced indices only ("dimension 0"); ember names the tensor's dim
    with pytest.raises(IndexError, match=re.escape("index 3 is out of bounds for dimension 1 with size 3")):
        ember.ones(2, 3)[:, ember.tensor([0, 3])]


def test_setitem_out_of_range_raises_index_error():
    x = ember.zeros(2, 3)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 1 with size 3"):
        x[0, 3] = 1.0


@pytest.mark.parametrize(
    "case",
    [
        lambda L: L.ones(2, 3).gather(1, L.tensor([0, 1])),
        lambda L: L.ones(2, 3).gather(1, L.tensor([[0, 5]])),
        lambda L: L.ones(2, 3).gather(1, L.tensor([[0], [1], [1]])),
        lambda L: L.ones(2, 3).scatter(1, L.tensor([0, 1]), L.ones(2, 3)),
        lambda L: L.ones(2, 3).index_select(1, L.tensor([[0]])),
    ],
    ids=["rank", "bounds", "size", "scatter_rank", "index_select_2d"],
)
def test_gather_and_scatter_bad_index_errors_match_torch(case):
    _same_error(case)


@pytest.mark.parametrize(
    "case",
    [
        lambda L: L.ones(3, dtype=L.long).add_(1.5),
        lambda L: L.ones(3, dtype=L.bool).add_(1),
        lambda L: L.ones(3, dtype=L.int32).mul_(L.ones(3)),
        lambda L: L.ones(3, dtype=L.int64).div_(2),
        lambda L: L.ones(1, 3).add_(L.ones(2, 3)),
    ],
    ids=["long_add_float", "bool_add_int", "int_mul_float_tensor", "long_true_div", "broadcast_self"],
)
def test_inplace_result_that_cannot_be_stored_matches_torch(case):
    _same_error(case)


def test_int_tensor_add_float_in_place_names_both_types():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        ember.ones(3, dtype=ember.int64).add_(1.5)


@pytest.mark.parametrize(
    "case",
    [
        lambda L: L.ones(2, 3).permute(0, 0),
        lambda L: L.ones(2, 3).expand(3, 3),
        lambda L: L.ones(2, 3).expand(3),
        lambda L: L.ones(2, 3).flatten(1, 0),
        lambda L: L.ones(2, 3).chunk(0),
        lambda L: L.ones(2, 3, dtype=L.int64).mean(),
        lambda L: L.ones(2, 3, dtype=L.int64).var(),
        lambda L: L.ones(2, 3).sum((0, 0)),
        lambda L: L.ones(0, 3).max(),
        lambda L: L.ones(0, 3).amax(0),
        lambda L: L.ones(0, 3).argmax(),
        lambda L: L.ones(2, 3).topk(4),
        lambda L: -L.ones(2, dtype=L.bool),
        lambda L: L.ones(2, dtype=L.bool) - L.ones(2, dtype=L.bool),
        lambda L: L.tensor([1, 2]) // L.tensor([0, 1]),
        lambda L: L.tensor([1, 2]) ** -1,
    ],
    ids=["permute_dup", "expand_size", "expand_rank", "flatten_order", "chunk0", "mean_int", "var_int", "sum_dup_dim",
         "max_empty", "amax_empty", "argmax_empty", "topk_k", "neg_bool", "sub_bool", "int_div_zero", "int_neg_pow"],
)
def test_argument_errors_match_torch(case):
    _same_error(case)


def test_einsum_operand_count_mismatch_raises():
    with pytest.raises(RuntimeError, match="more operands"):
        ember.einsum("ij->i", ember.ones(2, 2), ember.ones(2, 2))


def test_matmul_zero_dim_operand_raises():
    _same_error(lambda L: L.matmul(L.tensor(1.0), L.ones(2)))


def test_errors_leave_numpy_value_errors_out():
    """A failed broadcast never surfaces as NumPy's ValueError."""
    with pytest.raises(RuntimeError):
        ember.ones(2, 3).add(ember.ones(3, 2))
    with pytest.raises(RuntimeError):
        ember.where(ember.ones(2, 3) > 0, 1.0, ember.ones(3, 2))
    assert not issubclass(RuntimeError, ValueError)


def test_numpy_array_operand_keeps_working():
    out = ember.ones(2, 3) + np.ones((2, 3), dtype=np.float32)
    assert out.dtype == ember.float32 and out.shape == (2, 3)


@pytest.mark.parametrize(
    "case",
    [
        lambda L: L.where(L.ones(2), L.ones(2), L.zeros(2)),
        lambda L: L.ones(2, 3, dtype=L.int64).expand(3),
        lambda L: L.ones(2, 3).masked_fill(L.ones(2, 3), 0.0),
        lambda L: L.ones(2, 3).masked_fill(L.ones(2, 3, dtype=L.int64), 0.0),
        lambda L: L.ones(2, 3).gather(1, L.ones(2, 1)),
        lambda L: L.ones(2, 3).index_select(1, L.ones(1)),
        lambda L: L.ones(2, 3).unflatten(1, (2, 2)),
        lambda L: L.ones(2, 3).movedim(0, 5),
        lambda L: L.ones(2, 3).roll(1, 5),
        lambda L: L.ones(2, 3).flip(2),
        lambda L: L.ones(2, 3).repeat(2),
        lambda L: L.ones(2, 3).topk(1, 2),
        lambda L: L.ones(2, 3).scatter_add(1, L.tensor([[0, 5]]), L.ones(1, 2)),
        lambda L: L.ones(2, 3).index_add(0, L.tensor([0, 5]), L.ones(2, 3)),
        lambda L: L.ones(2, 3).index_add(0, L.tensor([0]), L.ones(2, 3)),
        lambda L: L.ones(2, 3).index_add(0, L.tensor([0, 1]), L.ones(2, 4)),
        lambda L: L.ones(2, 3).take(L.tensor([6])),
        lambda L: L.ones(2, 3).take(L.tensor([-7])),
        lambda L: L.einsum("ij,jk->ik", L.ones(2, 3), L.ones(4, 5)),
        lambda L: L.einsum("ij,jk->ik", L.ones(2, 3), L.ones(3, 4, 5)),
        lambda L: L.ones(2, 3).clamp(),
        lambda L: L.ones(2, 3).sum(dim=(0, 2)),
        lambda L: L.cat([L.ones(2, 3), L.ones(2, 3)], dim=2),
        lambda L: L.stack([L.ones(2, 3), L.ones(2, 3)], dim=3),
        lambda L: L.ones(2, 3).lerp(L.ones(4), 0.5),
        lambda L: L.ones(2, 3).lerp(L.ones(3, dtype=L.float64), 0.5),
        lambda L: L.ones(2, 3).addcmul(L.ones(4), L.ones(4)),
        lambda L: L.outer(L.ones(2, 2), L.ones(2)),
        lambda L: L.outer(L.ones(2), L.ones(2, 2)),
        lambda L: L.ones(2, 3).mean(5),
        lambda L: L.ones(3).dot(L.ones(3, dtype=L.float64)),
        lambda L: L.ones(3).mv(L.ones(3)),
        lambda L: L.mv(L.ones(2, 3, 4), L.ones(3)),
        lambda L: L.baddbmm(L.ones(2, 3, 3), L.ones(2, 3, 4), L.ones(2, 5, 3)),
        lambda L: L.ones(2, 3).narrow(0, -3, 1),
        lambda L: L.ones(2, 3).narrow(0, 3, 0),
        lambda L: L.ones(2, 3, 4).t(),
        lambda L: L.ones(2, 3).count_nonzero((0, 0)),
        lambda L: L.ones(2, 3).median(2),
        lambda L: L.ones(2, 3).cumsum(2),
        lambda L: L.ones(2, 3).sort(2),
        lambda L: L.ones(2, 3).var(3),
        lambda L: L.ones(2, 3).logsumexp(2),
        lambda L: L.ones(2, 3).prod(2),
        lambda L: L.ones(2, 3).std(correction=1, dim=4),
    ],
)
def test_more_argument_errors_match_torch(case):
    _same_error(case)
