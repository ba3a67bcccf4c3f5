"""DatasetFolder and ImageFolder with torchvision's attributes and find_classes rules."""

import numpy as np
import pytest

from ember.vision import datasets as D

Image = pytest.importorskip("PIL.Image")


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "pets"
    for cls, names in (("dog", ["b.png", "a.JPG"]), ("cat", ["z.png"]), ("bird", ["nested/q.bmp"])):
        for i, name in enumerate(names):
            path = root / cls / name
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((3, 4, 3), 10 * i + len(cls), np.uint8)).save(path)
    (root / "dog" / "notes.txt").write_text("not an image")
    (root / "README").write_text("a file at the top level is not a class")
    return root


def test_image_folder_classes_samples_and_targets(tree):
    ds = D.ImageFolder(tree)
    assert ds.classes == ["bird", "cat", "dog"]
    assert ds.class_to_idx == {"bird": 0, "cat": 1, "dog": 2}
    names = [p.replace(str(tree) + "/", "") for p, _ in ds.samples]
    assert names == ["bird/nested/q.bmp", "cat/z.png", "dog/a.JPG", "dog/b.png"]  # txt skipped, sorted
    assert ds.targets == [0, 1, 2, 2] and ds.imgs is ds.samples and len(ds) == 4


def test_image_folder_items_are_rgb_pil_images(tree):
    ds = D.ImageFolder(tree, transform=lambda im: np.asarray(im), target_transform=lambda t: -t)
    img, target = ds[1]
    assert img.shape == (3, 4, 3) and target == -1
    assert np.all(img == len("cat"))


def test_dataset_folder_with_a_custom_loader_and_predicate(tree):
    ds = D.DatasetFolder(tree, loader=lambda p: p.upper(), is_valid_file=lambda p: p.endswith(".txt"), allow_empty=True)
    assert len(ds) == 1 and ds[0] == (str(tree / "dog" / "notes.txt").upper(), 2)
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        D.DatasetFolder(tree, loader=str)


def test_empty_class_and_missing_class_folders_raise(tree, tmp_path):
    (tree / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty"):
        D.ImageFolder(tree)
    assert len(D.ImageFolder(tree, allow_empty=True).classes) == 4
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "x.png").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        D.ImageFolder(flat)


def test_find_classes_and_extension_helpers(tree):
    classes, mapping = D.find_classes(tree)
    assert classes == ["bird", "cat", "dog"] and mapping["dog"] == 2
    assert D.has_file_allowed_extension("A.PNG", (".png",)) and not D.has_file_allowed_extension("a.txt", ".png")
