"""One line, with the closest valid name, for every unknown key or option of a config.

Hydra refuses an unknown key with several lines and a harmful hint: "To append to your
config use +clasifier=random_forest", which then runs the default classifier with a stray
key (the run's checks now refuse unknown top-level keys even with ``+``,
runner.config.validate). :func:`composition_hint` turns Hydra's composition errors into
``unknown key `cleanlearning.cv_n_fold`; did you mean `cv_n_folds`? (keys of cleanlearning:
...)``; runner.__main__ prints it in place of Hydra's message, and the whole-sweep check
(runner.sweep.check) uses it for each combination.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from runner.core.names import closest

__all__ = ["composition_hint", "group_key_line", "install_key_hints", "unknown_key_line"]


def unknown_key_line(full_key: str, valid: Iterable[str], value: str | None = None) -> str:
    """``unknown key `a.b`; did you mean `c`? (keys of a: ...)`` (never suggests ``+``)."""
    valid = sorted({str(v) for v in valid})
    parent, _, key = full_key.rpartition(".")
    match = closest(key, valid)
    hint = f"; did you mean `{match}`?" if match else ""
    got = f" (got {value})" if value is not None else ""
    return f"unknown key `{full_key}`{got}{hint} (keys of {parent or 'the config'}: {', '.join(valid)})"


def _top_level_keys() -> list[str]:
    """The schema's top-level keys and the config groups selectable there (``logger=mlflow``)."""
    from dataclasses import fields

    from runner.config.schema import CONF_DIR, RunConfig

    groups = [p.name for p in CONF_DIR.iterdir() if p.is_dir() and p.name != "hydra"]
    return [f.name for f in fields(RunConfig)] + groups + ["hydra"]


def composition_hint(error: BaseException) -> str | None:
    """One line for Hydra's unknown-key or unknown-option error; None for any other error."""
    from hydra.errors import ConfigCompositionException, MissingConfigException
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

    if isinstance(error, MissingConfigException) and error.options and error.missing_cfg_file:
        group, _, option = str(error.missing_cfg_file).rpartition("/")
        match = closest(option, error.options)
        hint = f"; did you mean `{group}={match}`?" if match else ""
        return f"unknown option `{group}={option}`{hint} (options of {group}: {', '.join(error.options)})"
    if not isinstance(error, ConfigCompositionException):
        return None
    cause = error.__cause__
    if isinstance(cause, ValidationError) and not isinstance(cause, (ConfigAttributeError, ConfigKeyError)):
        return bad_value_line(error, cause)
    if not isinstance(cause, (ConfigAttributeError, ConfigKeyError)) or not getattr(cause, "full_key", None):
        return None
    full_key = str(cause.full_key)
    parent = getattr(cause, "parent_node", None)
    attempted = _overridden_key(error)
    if "." not in full_key and attempted and attempted.startswith(full_key + "."):
        line = group_key_line(attempted, full_key)
        if line is not None:
            return line
    if "." not in full_key:
        valid = _top_level_keys()
    elif parent is not None and hasattr(parent, "keys"):
        valid = [str(k) for k in parent.keys()]
    else:
        return None
    return unknown_key_line(full_key, valid)


def bad_value_line(error: BaseException, cause: BaseException) -> str | None:
    """``bad value `seed=abc`: Value 'abc' of type 'str' could not be converted to Integer``:
    a value the schema's type refuses, in one line (Hydra prints four and a hint)."""
    import re

    match = re.search(r"Error merging override (\S+)", str(error))
    message = next((line.strip() for line in str(cause).splitlines() if line.strip()), "")
    if match is None or not message:
        return None
    return f"bad value `{match.group(1)}`: {message}"


def _overridden_key(error: BaseException) -> str | None:
    """The key of the override Hydra could not apply ("Could not override 'a.b'.")."""
    import re

    match = re.search(r"Could not override '([^']+)'", str(error))
    return match.group(1).lstrip("+~") if match else None


def group_key_line(attempted: str, group: str) -> str | None:
    """``logger.tracking_uri`` where ``logger`` is a config group that sets keys elsewhere
    (conf/logger/mlflow.yaml sets ``hydra.callbacks.mlflow.*``): one line naming the group's
    options, where they set their keys and, when one of those keys ends like the attempted
    one, that key. None when ``group`` is not such a group."""
    import yaml

    from runner.config.schema import CONF_DIR

    folder = CONF_DIR / group
    if not folder.is_dir():
        return None
    options, leaves = [], []
    for path in sorted(folder.glob("*.yaml")):
        options.append(path.stem)
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        leaves += _leaf_keys({k: v for k, v in content.items() if k != "defaults"})
    prefix = _common_prefix(leaves)
    rest = attempted.split(".", 1)[1]
    matches = sorted({leaf for leaf in leaves if leaf == f"{prefix}.{rest}" or leaf.endswith(f".{rest}")})
    hint = f"; did you mean `{matches[0]}`?" if len(matches) == 1 else ""
    where = f"; its options set `{prefix}.*`" if prefix else ""
    return (f"unknown key `{attempted}`: `{group}` is a config group, not a key "
            f"(options of {group}: {', '.join(options)}){where}{hint}")


def _leaf_keys(node, prefix: str = "") -> list[str]:
    if not isinstance(node, dict) or not node:
        return [prefix] if prefix else []
    return [leaf for key, value in node.items() for leaf in _leaf_keys(value, f"{prefix}.{key}" if prefix else str(key))]


def _common_prefix(keys: list[str]) -> str:
    parts = [key.split(".")[:-1] for key in keys]
    if not parts:
        return ""
    common = parts[0]
    for other in parts[1:]:
        length = 0
        while length < min(len(common), len(other)) and common[length] == other[length]:
            length += 1
        common = common[:length]
    return ".".join(common)


def install_key_hints() -> None:
    """Print :func:`composition_hint`'s line (exit status 1) in place of Hydra's message.

    Hydra reports composition errors in ``hydra._internal.utils.run_and_report``, which
    ``hydra.main`` looks up when called: wrapping it is the one place to reach them.
    """
    import hydra._internal.utils as hydra_utils

    original = hydra_utils.run_and_report
    if getattr(original, "key_hints", False):
        return

    def run_and_report(func):
        def hinted():
            try:
                return func()
            except Exception as error:
                line = composition_hint(error)
                if line is None:
                    raise
                sys.stderr.write(f"config error: {line}\n")
                raise SystemExit(1) from None

        return original(hinted)

    run_and_report.key_hints = True
    hydra_utils.run_and_report = run_and_report
