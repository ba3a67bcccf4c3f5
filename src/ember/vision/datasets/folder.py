"""``DatasetFolder`` and ``ImageFolder``: one sub-folder per class, as in torchvision.

    root/dog/xxx.png
    root/dog/xxy.png
    root/cat/123.png
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ember.vision.datasets.vision import VisionDataset

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename: str, extensions: str | tuple[str, ...]) -> bool:
    """True if ``filename`` ends (case-insensitively) with one of ``extensions``."""
    return filename.lower().endswith(extensions if isinstance(extensions, str) else tuple(extensions))


def is_image_file(filename: str) -> bool:
    """True if ``filename`` has a known image extension."""
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory: str | os.PathLike) -> tuple[list[str], dict[str, int]]:
    """Sorted class folder names under ``directory`` and their indices.

    Raises:
        FileNotFoundError: ``directory`` has no sub-folders.
    """
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {os.fspath(directory)}.")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(
    directory: str | os.PathLike,
    class_to_idx: dict[str, int] | None = None,
    extensions: str | tuple[str, ...] | None = None,
    is_valid_file: Callable[[str], bool] | None = None,
    allow_empty: bool = False,
) -> list[tuple[str, int]]:
    """``(path, class_index)`` for every valid file, classes in index order, files sorted (symlinks followed).

    Exactly one of ``extensions`` and ``is_valid_file`` must be given.
    """
    directory = os.path.expanduser(os.fspath(directory))
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_idx' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the same time")
    if extensions is not None:

        def is_valid_file(path: str) -> bool:
            return has_file_allowed_extension(path, extensions)

    instances: list[tuple[str, int]] = []
    found: set[str] = set()
    for target_class in sorted(class_to_idx, key=class_to_idx.__getitem__):
        class_index = class_to_idx[target_class]
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir):
            continue
        for root, _, fnames in sorted(os.walk(target_dir, followlinks=True)):
            for fname in sorted(fnames):
                path = os.path.join(root, fname)
                if is_valid_file(path):
                    instances.append((path, class_index))
                    found.add(target_class)
    empty = set(class_to_idx) - found
    if empty and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
        if extensions is not None:
            msg += f"Supported extensions are: {extensions if isinstance(extensions, str) else ', '.join(extensions)}"
        raise FileNotFoundError(msg)
    return instances


class DatasetFolder(VisionDataset):
    """Samples arranged as ``root/<class>/<file>``, read with ``loader``.

    Args:
        root: the folder of class folders.
        loader: reads a sample from its path.
        extensions: accepted file endings (give this or ``is_valid_file``).
        is_valid_file: predicate on a path (give this or ``extensions``).
        allow_empty: allow class folders without any valid file.

    Attributes:
        classes: sorted class names; class_to_idx: name -> index;
        samples: ``(path, class_index)`` list; targets: the class index of each sample.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        loader: Callable[[str], Any],
        extensions: str | tuple[str, ...] | None = None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        is_valid_file: Callable[[str], bool] | None = None,
        allow_empty: bool = False,
    ) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        classes, class_to_idx = self.find_classes(self.root)
        samples = self.make_dataset(self.root, class_to_idx, extensions, is_valid_file, allow_empty)
        self.loader = loader
        self.extensions = extensions
        self.classes = classes
        self.class_to_idx = class_to_idx
        self.samples = samples
        self.targets = [s[1] for s in samples]

    @staticmethod
    def make_dataset(
        directory: str | os.PathLike,
        class_to_idx: dict[str, int],
        extensions: str | tuple[str, ...] | None = None,
        is_valid_file: Callable[[str], bool] | None = None,
        allow_empty: bool = False,
    ) -> list[tuple[str, int]]:
        """Override to index the files differently (see the module function ``make_dataset``)."""
        if class_to_idx is None:
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def find_classes(self, directory: str | os.PathLike) -> tuple[list[str], dict[str, int]]:
        """Override to find classes differently (see the module function ``find_classes``)."""
        return find_classes(directory)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(loader(path), class_index)`` with ``transform`` / ``target_transform`` applied."""
        path, target = self.samples[index]
        return self._apply_transforms(self.loader(path), target)


def pil_loader(path: str) -> Any:
    """Open an image file with Pillow and convert it to RGB."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError("ImageFolder's default loader needs Pillow: install the extra with `pip install ember[image]`") from exc
    with open(path, "rb") as f:
        img = Image.open(f)
        return img.convert("RGB")


def default_loader(path: str) -> Any:
    """The loader ``ImageFolder`` uses unless told otherwise: ``pil_loader``."""
    return pil_loader(path)


class ImageFolder(DatasetFolder):
    """Images arranged as ``root/<class>/<image>``, loaded as RGB PIL images by default.

    Same attributes as ``DatasetFolder``, plus ``imgs`` (an alias of ``samples``).
    Files with the extensions in ``IMG_EXTENSIONS`` are used unless ``is_valid_file`` is given.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        loader: Callable[[str], Any] = default_loader,
        is_valid_file: Callable[[str], bool] | None = None,
        allow_empty: bool = False,
    ) -> None:
        super().__init__(
            root,
            loader,
            IMG_EXTENSIONS if is_valid_file is None else None,
            transform=transform,
            target_transform=target_transform,
            is_valid_file=is_valid_file,
            allow_empty=allow_empty,
        )
        self.imgs = self.samples
