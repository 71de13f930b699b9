"""Generate the runner's reference pages at build time, from the code (never written by hand).

At ``builder-inited`` this writes Markdown files into ``docs/_generated/`` (excluded as
documents, included by the pages of ``docs/runner/``):

- ``config_<group>.md``: every option of a config group (``conf/<group>/*.yaml``) with every
  key, its type (from the structured schema, runner/config/schema.py and the schemas the
  loaders, backends and classifiers declare) and its default (from the composed config);
- ``config_top.md``: the top-level keys (seed, cache_dir, summary.*, report.*, output.*);
- ``metrics.md``: the metric registry's table (runner.scoring.metrics.markdown_table);
- ``cli_<module>.md``: the ``--help`` of each command line.

A file is rewritten only when its content changes, so incremental builds stay incremental.
"""

from __future__ import annotations

import os
import subprocess
import sys
import typing
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "conf"
GENERATED = REPO / "docs" / "_generated"
CLIS = ("runner", "runner.summarize", "runner.report", "runner.cache", "runner.search_results")
# Groups whose options are presets of other keys (package _global_ or hydra): shown as YAML.
PRESET_GROUPS = ("experiment", "quality_score", "logger")


def _write(name: str, text: str) -> None:
    path = GENERATED / name
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _type_name(node, key) -> str:
    """The declared type of ``node[key]`` (its schema's annotation), else the value's own."""
    child = node._get_node(key)
    ref_type = getattr(child._metadata, "ref_type", typing.Any)
    if ref_type is not typing.Any and ref_type is not None:
        text = getattr(ref_type, "__name__", None) if not typing.get_args(ref_type) else None
        text = (text or str(ref_type).replace("typing.", "")).replace("NoneType", "None")
        return f"{text} or None" if child._metadata.optional and "None" not in text else text
    from omegaconf import OmegaConf

    if OmegaConf.is_missing(node, key):
        return "any"
    value = child._value()
    return "None" if value is None else type(value).__name__


def _rows(node, prefix: str = "", missing: str = "??? (required)") -> list[tuple[str, str, str]]:
    from omegaconf import DictConfig, OmegaConf

    rows = []
    for key in node.keys():
        if OmegaConf.is_missing(node, key):
            rows.append((prefix + str(key), _type_name(node, key), missing))
            continue
        value = node._get_node(key)
        if isinstance(value, DictConfig):
            rows.extend(_rows(value, f"{prefix}{key}.", missing))
            continue
        shown = OmegaConf.to_container(node, resolve=False)[key]
        rows.append((prefix + str(key), _type_name(node, key), repr(shown) if isinstance(shown, str) else str(shown)))
    return rows


def _table(rows) -> str:
    lines = ["| key | type | default |", "|---|---|---|"]
    for key, kind, default in rows:
        kind, default = kind.replace("|", " or "), default.replace("|", "\\|")
        lines.append(f"| `{key}` | `{kind}` | `{default}` |")
    return "\n".join(lines) + "\n"


def _option_comment(path: Path) -> str:
    """The YAML file's leading comment lines, as the option's description."""
    comment = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# @package"):
            continue
        if not line.startswith("#"):
            break
        comment.append(line.lstrip("# ").rstrip())
    return " ".join(comment)


def generate_config() -> list[str]:
    from hydra import compose, initialize_config_dir
    from omegaconf import DictConfig

    from runner.config import register_configs

    register_configs()
    groups = sorted(path.name for path in CONF.iterdir() if path.is_dir() and path.name != "hydra")
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        top = compose("config", overrides=[])
        rows = [row for row in _rows(top) if row[0].split(".")[0] not in groups]
        _write("config_top.md", _table(rows))
        for group in groups:
            parts = []
            for path in sorted((CONF / group).glob("*.yaml")):
                option = path.stem
                parts.append(f"### `{group}={option}`\n\n")
                comment = _option_comment(path)
                if comment:
                    parts.append(comment + "\n\n")
                node = None
                if group not in PRESET_GROUPS:
                    cfg = compose("config", overrides=[f"{group}={option}"])
                    node = cfg.get(group)
                if isinstance(node, DictConfig):
                    missing = "??? (the estimator's default)" if group == "classifier" else "??? (required)"
                    parts.append(_table(_rows(node, missing=missing)) + "\n")
                else:
                    body = path.read_text(encoding="utf-8")
                    parts.append(f"`conf/{group}/{option}.yaml`:\n\n```yaml\n{body}```\n\n")
            _write(f"config_{group}.md", "".join(parts))
    return groups


def generate_metrics() -> None:
    from runner.scoring.metrics import markdown_table

    _write("metrics.md", markdown_table())


def generate_clis() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "COLUMNS": "100"}
    for module in CLIS:
        result = subprocess.run([sys.executable, "-m", module, "--help"], cwd=REPO, env=env,
                                capture_output=True, text=True, timeout=300, check=True)
        _write(f"cli_{module}.md", f"```text\n$ python -m {module} --help\n{result.stdout.rstrip()}\n```\n")


def generate(app=None) -> None:
    GENERATED.mkdir(exist_ok=True)
    generate_config()
    generate_metrics()
    generate_clis()


def setup(app):
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}


if __name__ == "__main__":
    generate()
