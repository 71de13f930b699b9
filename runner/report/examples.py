"""The examples of a run's dataset for display: thumbnails of images, the text, or the features.

They come from the dataset's loader, called as the run called it (``_target_`` and the run's
data seed): ``examples`` and ``image_shape`` of the :class:`runner.datasets.Dataset` it
returns, else its features. A config from before datasets were ``_target_``s names its
option: the bundled option's YAML in conf/dataset/ gives the loader.
"""

from __future__ import annotations

import base64
import itertools
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from runner.core.layout import CONF_DIR, read_yaml
from runner.report.html import format_value, piece

__all__ = ["Examples", "example_cell", "load_examples"]

MAX_FEATURES_SHOWN = 8
MAX_TEXT_CHARS = 300


@dataclass(frozen=True)
class Examples:
    """The dataset's examples for display, indexable by original row number."""

    kind: str  # "image", "text" or "features"
    values: Any  # ndarray (N, h, w[, c]) for images, a sequence of str, or a DataFrame
    source: str  # where they came from, said in the report


def load_examples(cfg: Mapping) -> tuple[Examples | None, str]:
    """The examples of the run's dataset and a line saying where they come from (or why not)."""
    dataset = cfg.get("dataset") or {}
    if "_target_" not in dataset:  # a config from before datasets were _target_s: its option's loader
        option = read_yaml(CONF_DIR / "dataset" / f"{dataset.get('name')}.yaml") or {}
        if "_target_" not in option:
            return None, f"dataset={dataset.get('name')} names no loader (_target_): no examples to show"
        dataset = {**{k: v for k, v in option.items() if k != "defaults"}, **dataset}
    try:
        return _examples_from_dataset_type(dataset, int(cfg.get("seed") or 0))
    except Exception as error:  # noqa: BLE001 - the report says so and goes on without examples
        return None, f"the examples could not be loaded ({type(error).__name__}: {error})"


def _examples_from_dataset_type(dataset: Mapping, seed: int) -> tuple[Examples | None, str]:
    """A ``runner.datasets.Dataset`` built from the config, as the run built it (the loader
    gets the run's data seed): its examples, else its features."""
    from omegaconf import OmegaConf

    from runner.datasets.base import call_loader
    from runner.experiment.seeds import derive_seeds

    loaded = call_loader(OmegaConf.create(dict(dataset)), data_seed=derive_seeds(seed).data)
    examples = getattr(loaded, "examples", None)
    image_shape = getattr(loaded, "image_shape", None)
    target = dataset["_target_"]
    if examples is not None:
        if isinstance(examples, np.ndarray) and examples.ndim >= 3:
            return Examples("image", examples, f"{target} examples"), ""
        if image_shape:
            images = np.asarray(examples, dtype=float).reshape(len(examples), *image_shape)
            return Examples("image", images, f"{target} examples"), ""
        return Examples("text", [str(e) for e in examples], f"{target} examples"), ""
    features = getattr(loaded, "features", None)
    if features is None:
        return None, f"{target} gives neither examples nor features"
    if image_shape:
        images = np.asarray(features, dtype=float).reshape(len(features), *image_shape)
        return Examples("image", images, f"{target} features reshaped to {tuple(image_shape)}"), ""
    frame = features if isinstance(features, pd.DataFrame) else pd.DataFrame(
        np.asarray(features), columns=getattr(loaded, "feature_names", None))
    return Examples("features", frame, f"{target} feature values"), ""


def example_cell(examples: Examples | None, index: int, image_range) -> Markup:
    if examples is None:
        return Markup("")
    if examples.kind == "image":
        image = np.asarray(examples.values[index], dtype=float)
        return piece("thumbnail", _thumbnail(image, image_range), f"example {index}")
    if examples.kind == "text":
        text = examples.values[index]
        short = text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS] + "…"
        return piece("text_example", text, short)
    row = examples.values.iloc[index]
    parts = [f"{name}={format_value(value)}" for name, value in itertools.islice(row.items(), MAX_FEATURES_SHOWN)]
    if len(row) > MAX_FEATURES_SHOWN:
        parts.append(f"… ({len(row)} features)")
    return piece("features", ", ".join(parts))


def _thumbnail(image: np.ndarray, value_range: tuple[float, float]) -> str:
    """A PNG (base64) of one image: greyscale dark-on-light over the dataset's value range, or RGB."""
    low, high = value_range
    scaled = np.clip((image - low) / (high - low if high > low else 1.0), 0, 1)
    if scaled.ndim == 2:
        pixels = np.round(255 * (1 - scaled)).astype(np.uint8)  # ink dark, as matplotlib's gray_r
    else:
        pixels = np.round(255 * scaled[..., :3]).astype(np.uint8)
    return base64.b64encode(_png(pixels)).decode("ascii")


def _png(pixels: np.ndarray) -> bytes:
    """Minimal PNG encoder: 8-bit greyscale (h, w) or RGB (h, w, 3), no filter; same bytes each time."""
    height, width = pixels.shape[:2]
    color_type = 0 if pixels.ndim == 2 else 2
    raw = np.concatenate([np.zeros((height, 1), np.uint8), pixels.reshape(height, -1)], axis=1).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
