"""A folder of images as a dataset: one subfolder per class, PNG or JPEG files (Pillow).

The layout users have (torchvision's ``ImageFolder``, Keras' ``image_dataset_from_directory``)::

    root/
      cat/001.png  cat/002.jpg ...
      dog/a.png ...
      true_labels.csv        # optional: file,true_label  or  file,is_error

The class of a file is the name of the class folder it sits in (its given, possibly wrong,
label). :func:`read_image_folder` returns the images as ``(n, channels, height, width)``
float32 in [0, 1], the labels, and the files' paths relative to ``root`` as their ids.
:func:`write_digit_folder` writes scikit-learn's 8x8 digits as such a folder, with a
fraction of the files moved to a wrong class folder, for tests and benchmarks.

:func:`image_folder` is the loader behind ``dataset=image_folder`` (conf/dataset/image_folder.yaml):
the images as features, the folder names as the given labels, the files as the ids of
label_issues.csv, and the CSV's true labels or error mask to score the detection. The two
functions above it are plain (no config): the benchmark and tests call them without Hydra.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from omegaconf import MISSING, DictConfig

from runner.core.checks import check, is_int, show, value
from runner.datasets.base import Dataset, FeatureDatasetConfig, dataset_loader

if TYPE_CHECKING:  # at run time imported where used: start-up imports no pandas
    import pandas as pd

__all__ = ["ImageFolder", "ImageFolderDatasetConfig", "image_folder", "read_image_folder", "write_digit_folder"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


@dataclass(frozen=True)
class ImageFolder:
    """What :func:`read_image_folder` read.

    Attributes
    ----------
    images : (n, channels, height, width) float32 in [0, 1]; channels is 1 (grayscale) or 3.
    labels : (n,) int64 codes of the given labels (the folder each file is in).
    class_names : the class folders' names, sorted; ``class_names[code]`` is a label's name.
    ids : (n,) the files' paths relative to the root, with ``/`` separators, sorted.
    true_labels : (n,) int64 codes, when the CSV gives ``true_label``; else None.
    is_error : (n,) bool, given label wrong: from the CSV's ``is_error`` column, or
        ``true_labels != labels``; None without a CSV.
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    ids: np.ndarray
    true_labels: np.ndarray | None = None
    is_error: np.ndarray | None = None


def read_image_folder(
    path, size: tuple[int, int] = (8, 8), grayscale: bool = True, true_labels_csv=None
) -> ImageFolder:
    """Read a folder with one subfolder of images per class.

    Parameters
    ----------
    path : the root folder.
    size : (height, width) every image is resized to (bilinear).
    grayscale : one channel (Pillow's "L") if True, else three ("RGB").
    true_labels_csv : None, or a CSV path (relative paths are taken from ``path``) with a
        column ``file`` (a path relative to the root, as in ``ids``) and either
        ``true_label`` (a class folder's name) or ``is_error`` (0/1 or true/false). Every
        image must have exactly one row.

    Returns
    -------
    ImageFolder

    Raises
    ------
    ValueError : a missing root, no class folder, an empty class folder, an unreadable
        image, a bad ``size``; a CSV row naming a missing file or an unknown class, an image
        without a row, a duplicate row (each error names the file and the row).
    """
    from PIL import Image, UnidentifiedImageError

    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"image_folder: path {str(root)!r} is not a folder.")
    if (
        len(size) != 2
        or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1 for s in size)
    ):
        raise ValueError(f"image_folder: size must be (height, width), two positive integers; got {size!r}.")
    height, width = int(size[0]), int(size[1])

    class_dirs = sorted((d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")), key=lambda d: d.name)
    if not class_dirs:
        raise ValueError(f"image_folder: {str(root)!r} has no class subfolders (expected root/<class>/<image>.png).")
    files, labels = [], []
    for code, class_dir in enumerate(class_dirs):
        found = sorted(
            f for f in class_dir.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
            and not any(part.startswith(".") for part in f.relative_to(root).parts)
        )
        if not found:
            raise ValueError(
                f"image_folder: class folder {class_dir.relative_to(root).as_posix()!r} holds no "
                f"{'/'.join(IMAGE_SUFFIXES)} image."
            )
        files += found
        labels += [code] * len(found)
    ids = np.array([f.relative_to(root).as_posix() for f in files], dtype=object)

    mode = "L" if grayscale else "RGB"
    images = np.empty((len(files), 1 if grayscale else 3, height, width), dtype=np.float32)
    for row, (file, file_id) in enumerate(zip(files, ids, strict=True)):  # decoding is per file
        try:
            with Image.open(file) as image:
                pixels = image.convert(mode).resize((width, height), Image.Resampling.BILINEAR)
        except (OSError, UnidentifiedImageError, ValueError) as error:
            raise ValueError(f"image_folder: cannot read image {file_id!r} in {str(root)!r}: {error}") from error
        array = np.asarray(pixels, dtype=np.float32) / 255.0  # (h, w) or (h, w, 3)
        images[row] = array[None] if grayscale else array.transpose(2, 0, 1)

    class_names = tuple(d.name for d in class_dirs)
    labels = np.asarray(labels, dtype=np.int64)
    true_labels = is_error = None
    if true_labels_csv is not None:
        true_labels, is_error = _read_truth(root, Path(true_labels_csv), ids, labels, class_names)
    return ImageFolder(images, labels, class_names, ids, true_labels, is_error)


def _read_truth(root: Path, csv_path: Path, ids: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...]):
    """(true_labels or None, is_error) from the CSV, aligned with ``ids``."""
    import pandas as pd
    csv_path = csv_path if csv_path.is_absolute() else root / csv_path
    name = str(csv_path)
    try:
        table = pd.read_csv(csv_path, dtype={"file": str, "true_label": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"image_folder: cannot read true_labels_csv {name!r}: {error}") from error
    columns = set(table.columns)
    if "file" not in columns or not columns & {"true_label", "is_error"}:
        raise ValueError(
            f"image_folder: {name!r} needs a column 'file' and a column 'true_label' or 'is_error'; "
            f"it has {sorted(columns)}."
        )
    row_numbers = np.arange(len(table)) + 2  # as a spreadsheet shows them: the header is row 1
    position = pd.Series(np.arange(len(ids)), index=ids)
    index = position.reindex(table["file"].to_numpy()).to_numpy()
    missing = np.isnan(index)
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"image_folder: {name!r} row {row_numbers[first]}, column 'file': {table['file'].iloc[first]!r} "
            f"is not an image of the folder ({int(missing.sum())} such rows)."
        )
    index = index.astype(np.int64)
    duplicated = pd.Series(index).duplicated().to_numpy()
    if duplicated.any():
        first = int(np.flatnonzero(duplicated)[0])
        raise ValueError(f"image_folder: {name!r} row {row_numbers[first]}: file {table['file'].iloc[first]!r} appears twice.")
    if len(index) != len(ids):
        absent = np.setdiff1d(np.arange(len(ids)), index)
        raise ValueError(
            f"image_folder: {name!r} has no row for {len(absent)} image(s), the first {ids[absent[0]]!r}; "
            "every image needs one."
        )
    if "true_label" in columns:
        codes = pd.Series(np.arange(len(class_names)), index=list(class_names)).reindex(table["true_label"].to_numpy())
        unknown = codes.isna().to_numpy()
        if unknown.any():
            first = int(np.flatnonzero(unknown)[0])
            raise ValueError(
                f"image_folder: {name!r} row {row_numbers[first]}, column 'true_label': "
                f"{table['true_label'].iloc[first]!r} is not a class folder ({', '.join(class_names)})."
            )
        true_labels = np.empty(len(ids), dtype=np.int64)
        true_labels[index] = codes.to_numpy().astype(np.int64)
        return true_labels, true_labels != labels
    flags = table["is_error"].astype(str).str.strip().str.lower()
    valid = flags.isin(["0", "1", "true", "false"]).to_numpy()
    if not valid.all():
        first = int(np.flatnonzero(~valid)[0])
        raise ValueError(
            f"image_folder: {name!r} row {row_numbers[first]}, column 'is_error': "
            f"{table['is_error'].iloc[first]!r} is not 0, 1, true or false."
        )
    is_error = np.empty(len(ids), dtype=bool)
    is_error[index] = flags.isin(["1", "true"]).to_numpy()
    return None, is_error


def write_digit_folder(
    path, fraction_moved: float = 0.1, seed: int = 0, n_examples: int | None = None, csv_name: str | None = "true_labels.csv"
) -> pd.DataFrame:
    """Write scikit-learn's 8x8 digits as PNGs into ``path/<digit>/<index>.png``, a fraction of
    them in a wrong digit's folder.

    Parameters
    ----------
    path : the root folder to create (it must not hold class folders yet).
    fraction_moved : share of the files written into a uniformly drawn wrong class folder.
    seed : draws which files move and where.
    n_examples : the first ``n_examples`` digits (default: all 1797).
    csv_name : also write ``file,true_label`` there (relative to ``path``); None: no CSV.

    Returns
    -------
    pandas.DataFrame with one row per file: ``file`` (relative path), ``true_label`` and
    ``given_label`` (folder names), ``moved`` (bool).
    """
    import pandas as pd
    from PIL import Image
    from sklearn.datasets import load_digits

    if not 0 <= fraction_moved < 1:
        raise ValueError(f"fraction_moved must be in [0, 1); got {fraction_moved!r}.")
    root = Path(path)
    if root.exists() and any(d.is_dir() for d in root.iterdir()):
        raise ValueError(f"write_digit_folder: {str(root)!r} already holds folders; give a new path.")
    digits = load_digits()
    images, true = digits.images, digits.target
    if n_examples is not None:
        images, true = images[:n_examples], true[:n_examples]
    n_examples, n_classes = len(true), 10
    rng = np.random.default_rng(seed)
    moved = np.zeros(n_examples, dtype=bool)
    moved[rng.choice(n_examples, size=round(fraction_moved * n_examples), replace=False)] = True
    # A wrong class, uniformly: the true one plus 1..K-1 (mod K).
    given = np.where(moved, (true + rng.integers(1, n_classes, size=n_examples)) % n_classes, true)
    pixels = np.round(images * (255 / 16)).astype(np.uint8)  # digits' values are 0..16
    files = [f"{label}/{index:04d}.png" for index, label in enumerate(given)]
    for label in range(n_classes):
        (root / str(label)).mkdir(parents=True, exist_ok=True)
    for file, image in zip(files, pixels, strict=True):
        Image.fromarray(image).save(root / file)
    table = pd.DataFrame({"file": files, "true_label": true.astype(str), "given_label": given.astype(str), "moved": moved})
    if csv_name is not None:
        table[["file", "true_label"]].to_csv(root / csv_name, index=False)
    return table


# ---------------------------------------------------------------------------------------
# dataset=image_folder


@dataclass
class ImageFolderDatasetConfig(FeatureDatasetConfig):
    """A folder with one subfolder of PNG/JPEG images per class (conf/dataset/image_folder.yaml)."""

    _target_: str = "runner.datasets.image_folder.image_folder"
    name: str = "image_folder"
    path: str = MISSING
    size: list[int] = field(default_factory=lambda: [32, 32])  # (height, width) after resizing
    grayscale: bool = False
    true_labels_csv: str | None = None  # beside the images: file,true_label or file,is_error
    test_size: float = 0.0  # your own labels: every image is examined
    standardize: bool = False  # images reach the classifier as loaded (runner.model.preprocessing)


def _class_folders(path) -> list[Path]:
    return [d for d in Path(path).iterdir() if d.is_dir() and not d.name.startswith(".")]


def _check_image_folder(dataset: DictConfig) -> list[str]:
    path = value(dataset, "path")
    if path is MISSING:
        return ["dataset.path is required for dataset=image_folder; got ??? (set dataset.path=FOLDER)"]
    if not isinstance(path, str) or not Path(path).is_dir():
        return [f"dataset.path must be an existing folder (one subfolder of images per class); got {show(path)}"]
    problems = [] if _class_folders(path) else [
        f"dataset.path {path!r} has no class subfolders (expected {path}/<class>/<image>.png)"]
    problems += check(dataset, "dataset", "size", lambda v: len(v) == 2 and all(is_int(s) and s >= 1 for s in v),
                      "[height, width], two positive integers")
    csv_path = dataset.get("true_labels_csv")
    if csv_path is not None:
        full = Path(path) / str(csv_path)  # an absolute csv path stays itself
        if not full.is_file():
            problems.append(f"dataset.true_labels_csv must be a CSV file (relative to dataset.path or absolute); "
                            f"got {show(csv_path)} (not found: {full})")
    return problems


def _n_classes(dataset: DictConfig) -> int | None:
    path = value(dataset, "path")
    if not isinstance(path, str) or not Path(path).is_dir():
        return None
    return len(_class_folders(path)) or None


@dataset_loader(schema=ImageFolderDatasetConfig, schema_name="image_folder", check=_check_image_folder,
                n_classes=_n_classes)
def image_folder(path: str, size=(32, 32), grayscale: bool = False, true_labels_csv: str | None = None) -> Dataset:
    """The images of ``path`` (one subfolder per class) as a dataset; see :func:`read_image_folder`.

    Features: (n, channels, height, width) float32 in [0, 1]; given labels: the class
    folders' names; ids: the files' paths relative to ``path`` (label_issues.csv's ``id``);
    true labels (``true_label`` column) or the error mask (``is_error``) from the CSV;
    examples for the report: the images as (n, height, width) or (n, height, width, 3).
    """
    folder = read_image_folder(path, size=tuple(size), grayscale=grayscale, true_labels_csv=true_labels_csv)
    names = np.asarray(folder.class_names, dtype=object)
    images = folder.images
    examples = images[:, 0] if grayscale else images.transpose(0, 2, 3, 1)
    return Dataset(
        features=images,
        labels=names[folder.labels],
        true_labels=None if folder.true_labels is None else names[folder.true_labels],
        label_errors=folder.is_error if folder.true_labels is None else None,
        ids=folder.ids,
        examples=examples,
        source=str(path),
    )
