"""Box utilities with torchvision's names: areas, IoUs, format conversion, clipping, non-maximum suppression.

Boxes are ``(N, 4)`` tensors in ``(x1, y1, x2, y2)`` format unless said otherwise. The area and
IoU functions are built from ember ops, so gradients flow through them (for IoU losses);
``nms`` returns indices and records no graph.
"""

from __future__ import annotations

import numpy as np

import ember


def box_area(boxes):
    """``(x2 - x1) * (y2 - y1)`` of each box."""
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _inter_union(boxes1, boxes2):
    area1, area2 = box_area(boxes1), box_area(boxes2)
    lt = ember.maximum(boxes1[:, None, :2], boxes2[:, :2])
    rb = ember.minimum(boxes1[:, None, 2:], boxes2[:, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    return inter, area1[:, None] + area2 - inter


def box_iou(boxes1, boxes2):
    """``(N, M)`` intersection over union of every pair."""
    inter, union = _inter_union(boxes1, boxes2)
    return inter / union


def generalized_box_iou(boxes1, boxes2):
    """``(N, M)`` generalized IoU (Rezatofighi et al., 2019): IoU minus the empty share of the enclosing box."""
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / union
    lti = ember.minimum(boxes1[:, None, :2], boxes2[:, :2])
    rbi = ember.maximum(boxes1[:, None, 2:], boxes2[:, 2:])
    whi = (rbi - lti).clamp(min=0)
    areai = whi[:, :, 0] * whi[:, :, 1]
    return iou - (areai - union) / areai


def box_convert(boxes, in_fmt: str, out_fmt: str):
    """Convert between ``"xyxy"``, ``"xywh"`` (corner, size) and ``"cxcywh"`` (centre, size)."""
    allowed = ("xyxy", "xywh", "cxcywh")
    if in_fmt not in allowed or out_fmt not in allowed:
        raise ValueError("Unsupported Bounding Box Conversions for given in_fmt and out_fmt")
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        x1, y1, x2, y2 = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    else:
        x1, y1, x2, y2 = a, b, c, d
    if out_fmt == "xyxy":
        out = (x1, y1, x2, y2)
    elif out_fmt == "xywh":
        out = (x1, y1, x2 - x1, y2 - y1)
    else:
        out = ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)
    return ember.stack(out, dim=-1)


def clip_boxes_to_image(boxes, size: tuple[int, int]):
    """Clip the coordinates to an image of ``size = (height, width)``."""
    height, width = size
    x = boxes[..., 0::2].clamp(min=0, max=width)
    y = boxes[..., 1::2].clamp(min=0, max=height)
    return ember.stack((x, y), dim=-1).reshape(boxes.shape)


def remove_small_boxes(boxes, min_size: float):
    """Indices of the boxes whose width and height are both at least ``min_size``."""
    b = boxes._data
    keep = np.nonzero(((b[:, 2] - b[:, 0]) >= min_size) & ((b[:, 3] - b[:, 1]) >= min_size))[0]
    return ember.from_numpy(keep.astype(np.int64))


def _nms_array(b: np.ndarray, s: np.ndarray, iou_threshold: float) -> np.ndarray:
    order = np.argsort(-s, kind="stable")
    areas = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    suppressed = np.zeros(len(b), dtype=bool)
    keep = []
    for pos, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(i)
        rest = order[pos + 1 :]
        rest = rest[~suppressed[rest]]
        if not len(rest):
            continue
        w = np.clip(np.minimum(b[i, 2], b[rest, 2]) - np.maximum(b[i, 0], b[rest, 0]), 0, None)
        h = np.clip(np.minimum(b[i, 3], b[rest, 3]) - np.maximum(b[i, 1], b[rest, 1]), 0, None)
        inter = w * h
        iou = inter / (areas[i] + areas[rest] - inter)
        suppressed[rest[iou > iou_threshold]] = True
    return np.asarray(keep, dtype=np.int64)


def nms(boxes, scores, iou_threshold: float):
    """Indices of the boxes kept by non-maximum suppression, by decreasing score.

    A box is dropped when its IoU with a higher-scoring kept box exceeds ``iou_threshold``.
    """
    return ember.from_numpy(_nms_array(boxes._data, scores._data, float(iou_threshold)))


def batched_nms(boxes, scores, idxs, iou_threshold: float):
    """``nms`` within each category of ``idxs`` independently; indices sorted by decreasing score."""
    b, s, c = boxes._data, scores._data, idxs._data
    if b.size == 0:
        return ember.from_numpy(np.zeros(0, dtype=np.int64))
    # shift each category's boxes far apart so boxes of different categories never overlap
    offsets = c.astype(b.dtype) * (b.max() + 1)
    keep = _nms_array(b + offsets[:, None], s, float(iou_threshold))
    keep = keep[np.argsort(-s[keep], kind="stable")]
    return ember.from_numpy(keep)
