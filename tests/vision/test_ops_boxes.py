"""ember.vision.ops box utilities against torch references (IoU, GIoU, conversions, NMS)."""

import numpy as np
import pytest

import ember
from ember.vision import ops

torch = pytest.importorskip("torch")


def _boxes(n, seed):
    rng = np.random.default_rng(seed)
    xy = rng.random((n, 2)).astype(np.float32) * 50
    wh = rng.random((n, 2)).astype(np.float32) * 30 + 1
    return np.concatenate([xy, xy + wh], 1)


def _t_iou(a, b):
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])  # noqa: E731
    lt = torch.max(a[:, None, :2], b[:, :2])
    rb = torch.min(a[:, None, 2:], b[:, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = area(a)[:, None] + area(b) - inter
    lti, rbi = torch.min(a[:, None, :2], b[:, :2]), torch.max(a[:, None, 2:], b[:, 2:])
    whi = (rbi - lti).clamp(min=0)
    enclosing = whi[..., 0] * whi[..., 1]
    return inter / union, inter / union - (enclosing - union) / enclosing


def test_iou_and_giou_values_and_gradients_match_torch():
    a, b = _boxes(5, 0), _boxes(4, 1)
    ea = ember.tensor(a, requires_grad=True)
    ta = torch.tensor(a, requires_grad=True)
    iou, giou = _t_iou(ta, torch.tensor(b))
    got_iou = ops.box_iou(ea, ember.tensor(b))
    got_giou = ops.generalized_box_iou(ea, ember.tensor(b))
    np.testing.assert_allclose(got_iou.detach().numpy(), iou.detach().numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got_giou.detach().numpy(), giou.detach().numpy(), rtol=1e-5, atol=1e-6)
    (got_iou.sum() + got_giou.sum()).backward()
    (iou.sum() + giou.sum()).backward()
    np.testing.assert_allclose(ea.grad.numpy(), ta.grad.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ops.box_area(ember.tensor(a)).numpy(), (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]), rtol=1e-6)


def test_box_convert_round_trips_and_clip():
    a = _boxes(6, 2)
    xywh = ops.box_convert(ember.tensor(a), "xyxy", "xywh").numpy()
    np.testing.assert_allclose(xywh, np.concatenate([a[:, :2], a[:, 2:] - a[:, :2]], 1), rtol=1e-6)
    cxcywh = ops.box_convert(ember.tensor(a), "xyxy", "cxcywh").numpy()
    np.testing.assert_allclose(cxcywh[:, :2], (a[:, :2] + a[:, 2:]) / 2, rtol=1e-6)
    back = ops.box_convert(ops.box_convert(ember.tensor(a), "xyxy", "cxcywh"), "cxcywh", "xywh")
    np.testing.assert_allclose(ops.box_convert(back, "xywh", "xyxy").numpy(), a, rtol=1e-5, atol=1e-4)
    clipped = ops.clip_boxes_to_image(ember.tensor(a), (20, 30)).numpy()
    np.testing.assert_array_equal(clipped[:, 0::2], np.clip(a[:, 0::2], 0, 30))
    np.testing.assert_array_equal(clipped[:, 1::2], np.clip(a[:, 1::2], 0, 20))
    with pytest.raises(ValueError, match="Unsupported Bounding Box Conversions"):
        ops.box_convert(ember.tensor(a), "xyxy", "yxyx")


def _t_nms(boxes, scores, thr):
    order = torch.argsort(scores, descending=True, stable=True)
    keep = []
    while len(order):
        i = order[0]
        keep.append(int(i))
        iou = _t_iou(boxes[i][None], boxes[order[1:]])[0][0]
        order = order[1:][iou <= thr]
    return keep


@pytest.mark.parametrize("thr", [0.1, 0.3, 0.7])
def test_nms_matches_a_greedy_torch_reference(thr):
    b = _boxes(60, 3)
    s = np.random.default_rng(4).random(60).astype(np.float32)
    got = ops.nms(ember.tensor(b), ember.tensor(s), thr)
    assert got.dtype == ember.int64
    assert got.numpy().tolist() == _t_nms(torch.tensor(b), torch.tensor(s), thr)


def test_batched_nms_keeps_categories_apart_and_small_boxes_removed():
    b = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 10], [50, 50, 51, 51]], np.float32)
    s = np.array([0.9, 0.8, 0.7, 0.6], np.float32)
    idx = np.array([0, 0, 1, 1])
    assert ops.batched_nms(ember.tensor(b), ember.tensor(s), ember.tensor(idx), 0.5).numpy().tolist() == [0, 2, 3]
    assert ops.nms(ember.tensor(b), ember.tensor(s), 0.5).numpy().tolist() == [0, 3]
    assert ops.remove_small_boxes(ember.tensor(b), 2.0).numpy().tolist() == [0, 1, 2]
