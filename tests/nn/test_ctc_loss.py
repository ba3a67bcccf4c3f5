"""F.ctc_loss and nn.CTCLoss: PyTorch parity of losses and log_probs gradients (torch's log_softmax-assuming
formula, checked through log_softmax and directly) for padded and concatenated targets, every reduction,
zero_infinity, impossible alignments, unbatched input, float32; float64 gradcheck; error classes/messages."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from helpers import check_against_torch, check_gradcheck, compare

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _targets(rng, n, s, c, blank):
    tg = rng.integers(0, c, (n, s))
    tg[tg == blank] = (blank + 1) % c
    tg[:, 1] = tg[:, 0]  # a repeated label: the path must pass through a blank between them
    return tg


def _pair(tg, tg_lens, concat):
    return np.concatenate([tg[i, : tg_lens[i]] for i in range(len(tg_lens))]) if concat else tg


@pytest.mark.parametrize("concat", [False, True])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_ctc_loss_matches_torch_through_log_softmax(reduction, zero_infinity, concat):
    rng = np.random.default_rng(0)
    t, n, c, s, blank = 6, 5, 5, 3, 2
    in_lens, tg_lens = [6, 5, 2, 6, 1], [3, 2, 3, 0, 0]  # sample 2 is impossible (inf), sample 4 has length-1 input
    tg = _pair(_targets(rng, n, s, c, blank), tg_lens, concat)
    check_against_torch(
        lambda x: F.ctc_loss(F.log_softmax(x, 2), ember.tensor(tg), in_lens, tg_lens, blank, reduction, zero_infinity),
        lambda x: TF.ctc_loss(TF.log_softmax(x, 2), torch.tensor(tg), in_lens, tg_lens, blank, reduction, zero_infinity),
        [rng.standard_normal((t, n, c))], rtol=1e-9, atol=1e-11,
    )


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_ctc_loss_gradient_on_log_probs_leaf_is_torchs_formula(reduction):
    """With log_probs a leaf, torch's gradient is exp(lp) - exp(lcab + nll - lp): compared directly, tensor lengths."""
    rng = np.random.default_rng(1)
    lp = np.log(rng.dirichlet(np.ones(4), size=(7, 3)))
    tg = _targets(rng, 3, 3, 4, 0)
    lens_e = (ember.tensor([7, 6, 4]), ember.tensor([3, 1, 2]))
    lens_t = (torch.tensor([7, 6, 4]), torch.tensor([3, 1, 2]))
    check_against_torch(lambda x: F.ctc_loss(x, ember.tensor(tg), *lens_e, reduction=reduction),
                        lambda x: TF.ctc_loss(x, torch.tensor(tg), *lens_t, reduction=reduction),
                        [lp], rtol=1e-9, atol=1e-11)


def test_ctc_loss_float32_int32_targets_and_module():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 2, 6)).astype(np.float32)
    tg = _targets(rng, 2, 4, 6, 0).astype(np.int32)
    in_lens, tg_lens = np.array([8, 7], np.int32), np.array([4, 3], np.int32)
    e, _ = check_against_torch(
        lambda a: nn.CTCLoss()(F.log_softmax(a, 2), ember.tensor(tg), ember.tensor(in_lens), ember.tensor(tg_lens)),
        lambda a: torch.nn.CTCLoss()(TF.log_softmax(a, 2), torch.tensor(tg), torch.tensor(in_lens), torch.tensor(tg_lens)),
        [x], rtol=1e-5, atol=1e-6,
    )
    assert e.dtype == ember.float32
    assert repr(nn.CTCLoss(blank=3, zero_infinity=True)) == "CTCLoss()"


def test_ctc_loss_unbatched_matches_torch():
    rng = np.random.default_rng(3)
    tg = np.array([1, 2, 2])
    for red in ("none", "mean", "sum"):
        check_against_torch(
            lambda x: F.ctc_loss(F.log_softmax(x, 1), ember.tensor(tg), ember.tensor(6), ember.tensor(3), reduction=red),  # noqa: B023
            lambda x: TF.ctc_loss(TF.log_softmax(x, 1), torch.tensor(tg), torch.tensor(6), torch.tensor(3), reduction=red),  # noqa: B023
            [rng.standard_normal((6, 4))], rtol=1e-9, atol=1e-11,
        )


def test_ctc_loss_impossible_alignment_is_inf_with_nan_gradient_like_torch():
    lp = np.log(np.full((2, 1, 3), 1 / 3))
    e = ember.tensor(lp, requires_grad=True)
    t = torch.tensor(lp, requires_grad=True)
    le = F.ctc_loss(e, ember.tensor([[1, 1]]), [2], [2], reduction="sum")  # needs 3 frames
    lt = TF.ctc_loss(t, torch.tensor([[1, 1]]), [2], [2], reduction="sum")
    le.backward()
    lt.backward()
    assert np.isinf(le.item()) and np.isinf(lt.item())
    compare(e.grad, t.grad)
    assert np.isnan(e.grad.numpy()).all()


def test_ctc_loss_gradcheck_float64():
    rng = np.random.default_rng(4)
    tg = ember.tensor(_targets(rng, 2, 3, 4, 0))
    # Through log_softmax, where torch's formula is the true gradient.
    check_gradcheck(lambda x: F.ctc_loss(F.log_softmax(x, 2), tg, [5, 4], [3, 2], reduction="none"), [rng.standard_normal((5, 2, 4))])


def test_ctc_loss_double_backward_raises():
    x = ember.tensor(np.log(np.full((3, 1, 3), 1 / 3)), requires_grad=True)
    loss = F.ctc_loss(x, ember.tensor([[1]]), [3], [1])
    with pytest.raises(RuntimeError, match="double backward"):
        ember.autograd.grad(loss, x, create_graph=True)


@pytest.mark.parametrize("case", [
    dict(in_lens=[6, 5, 5]), dict(tg_lens=[4, 3, 3]), dict(in_lens=[5, 5]), dict(tg_lens=[3, 3]), dict(blank=4),
    dict(reduction="foo"), dict(concat=True, tg_lens=[3, 3, 2]), dict(in_lens=[-1, 5, 5]), dict(tg_lens=[-1, 3, 3]),
    dict(empty=True), dict(float_lens=True),
])
def test_ctc_loss_errors_match_torch(case):
    rng = np.random.default_rng(5)
    lp = np.log(rng.dirichlet(np.ones(4), size=(5, 3)))
    if case.get("empty"):
        lp = lp[:, :0]
    tg = _targets(rng, 3, 3, 4, 0)
    if case.get("concat"):
        tg = tg.ravel()
    in_lens, tg_lens = case.get("in_lens", [5, 5, 5]), case.get("tg_lens", [3, 3, 3])
    kw = dict(blank=case.get("blank", 0), reduction=case.get("reduction", "mean"))

    def lens(lib):
        if case.get("float_lens"):
            return lib.tensor([5.0, 5, 5]), lib.tensor(tg_lens)
        return in_lens, tg_lens

    with pytest.raises(Exception) as t_err:
        TF.ctc_loss(torch.tensor(lp), torch.tensor(tg), *lens(torch), **kw)
    with pytest.raises(type(t_err.value)) as e_err:
        F.ctc_loss(ember.tensor(lp), ember.tensor(tg), *lens(ember), **kw)
    assert str(e_err.value) == str(t_err.value)
