"""NpyDataset and CSVImageDataset."""

import numpy as np
import pytest

from ember.vision import datasets as D


def test_npy_dataset_with_integer_labels(tmp_path):
    x = np.arange(24, dtype=np.float32).reshape(4, 2, 3)
    np.save(tmp_path / "X.npy", x)
    np.save(tmp_path / "Y.npy", np.array([2, 0, 1, 2], np.int32))
    ds = D.NpyDataset(tmp_path / "X.npy", tmp_path / "Y.npy", transform=lambda a: a.sum())
    assert len(ds) == 4 and ds.targets.dtype == np.int64 and ds.classes == ["0", "1", "2"]
    value, label = ds[3]
    assert value == x[3].sum() and label == 2 and isinstance(label, int)


def test_npy_dataset_turns_one_hot_rows_into_argmax_labels(tmp_path):
    np.save(tmp_path / "X.npy", np.zeros((3, 5)))
    np.save(tmp_path / "Y.npy", np.eye(4)[[3, 0, 1]])
    ds = D.NpyDataset(tmp_path / "X.npy", tmp_path / "Y.npy")
    np.testing.assert_array_equal(ds.targets, [3, 0, 1])
    assert len(ds.classes) == 4


def test_npy_dataset_rejects_mismatched_lengths_and_fractional_labels(tmp_path):
    np.save(tmp_path / "X.npy", np.zeros((3, 2)))
    np.save(tmp_path / "Y.npy", np.array([0, 1]))
    with pytest.raises(ValueError, match="3 samples.*2 labels"):
        D.NpyDataset(tmp_path / "X.npy", tmp_path / "Y.npy")
    np.save(tmp_path / "Y.npy", np.array([0.5, 1.0, 2.0]))
    with pytest.raises(ValueError, match="integer labels"):
        D.NpyDataset(tmp_path / "X.npy", tmp_path / "Y.npy")


def test_csv_image_dataset_with_auto_header_and_uint8_pixels(tmp_path):
    pytest.importorskip("PIL")
    path = tmp_path / "tiny.csv"
    path.write_text("label,p1,p2,p3,p4\n1,0,255,10,20\n0,5,6,7,8\n")
    ds = D.CSVImageDataset(path, image_shape=(2, 2))
    assert len(ds) == 2 and ds.data.dtype == np.uint8
    np.testing.assert_array_equal(ds.data[0], [[0, 255], [10, 20]])
    img, label = ds[0]
    assert img.mode == "L" and label == 1


def test_csv_image_dataset_label_last_without_header_and_float_pixels(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("0.5,0.25,3\n1.0,0.0,4\n")
    ds = D.CSVImageDataset(path, image_shape=(1, 2), label_column=-1, has_header=False)
    assert ds.data.dtype == np.float32
    np.testing.assert_array_equal(ds.targets, [3, 4])
    x, y = ds[1]
    np.testing.assert_array_equal(x, [[1.0, 0.0]])
    assert y == 4


def test_csv_image_dataset_checks_the_pixel_count(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("1,2,3\n")
    with pytest.raises(ValueError, match="expected 784 pixel columns.*got 2"):
        D.CSVImageDataset(path)
