"""Run report: the flagged files of an image-folder dataset, as they are on disk.

The flagged-examples table shows what the network saw (the images resized to
``dataset.size``); this section shows each flagged file itself (read again with Pillow,
shrunk to at most :data:`MAX_SIDE` pixels, small ones enlarged without smoothing), with its
path and the folder the model suggests, which is where moving the file would relabel it.
Only runs whose dataset is ``dataset=image_folder`` (runner.datasets.image_folder) get it.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

from runner.report.context import RunContext
from runner.report.html import Row, Section, cell, note, piece, table
from runner.report.sections import report_section

__all__ = ["MAX_SIDE", "image_files_section"]

MAX_SIDE = 96  # pixels of the longer side of a shown file
LOADER = "runner.datasets.image_folder.image_folder"


@report_section("run", rank=35)
def image_files_section(run: RunContext) -> list[Section]:
    dataset = run.cfg.get("dataset") or {}
    if dataset.get("_target_") != LOADER or "id" not in run.issues.columns:
        return []
    root = Path(str(dataset.get("path")))
    shown = run.flagged.head(run.top_k)
    heading = f"Image files flagged, worst first ({len(shown)} of {len(run.flagged)})"
    if not root.is_dir():
        return [Section(heading, [note(f"The folder {root} is not there any more: no files to show.")])]
    size = dataset.get("size")
    parts = [note(
        f"The files in {root} as they are (the network saw them resized to {size}). Suggested folder: "
        "the class the model predicts; moving a file there relabels it."
    )]
    if shown.empty:
        return [Section(heading, [*parts, note("None.")])]
    header = ["rank", "file", "given folder", "suggested folder", "label quality"]
    if run.has_truth:
        header += ["true label", "detection"]
    header.append("image")
    rows = []
    for rank, row in enumerate(shown.itertuples(index=False), start=1):
        cells = [cell(rank, "num"), cell(row.id), cell(row.given_label), cell(row.predicted_label),
                 cell(f"{row.label_quality:.3g}", "num", sort=repr(row.label_quality))]
        css = None
        if run.has_truth:
            css = "true-error" if row.is_true_error else "false-detection"  # coloured as the flagged table
            cells += [cell(row.true_label), cell(css.replace("-", " "), "detection")]
        cells.append(cell(_file_image(root / str(row.id))))
        rows.append(Row(cells, css))
    return [Section(heading, [*parts, table("image_files", header, rows)])]


def _file_image(path: Path):
    """The file as a PNG of at most MAX_SIDE pixels a side; a note when it cannot be read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image = image.convert("RGB" if image.mode not in ("L", "1") else "L")
            scale = MAX_SIDE / max(image.size)
            # Shrink smoothly; enlarge small images (8x8 digits) by whole pixels, unsmoothed.
            resample = Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.NEAREST
            factor = scale if scale < 1 else max(1, int(scale))
            shown = image.resize((max(1, round(image.width * factor)), max(1, round(image.height * factor))),
                                 resample)
            buffer = io.BytesIO()
            shown.save(buffer, format="PNG")
    except (OSError, UnidentifiedImageError, ValueError) as error:
        return note(f"cannot read: {type(error).__name__}")
    return piece("image", base64.b64encode(buffer.getvalue()).decode("ascii"), path.name, "file-thumb")
