"""The identity of the code a cached result came from: the static import closure of its roots.

A cache entry must never be read for other code. The code that decides it is every module the
config's dotted paths can load: a ``_target_`` (the classifier, a Pipeline's steps, dataset and
noise loaders), a class given as a parameter (a skorch ``module``), the function that computes
the entry, and the cleanlearn library; and, transitively, every module those import. A user's
``myclf.py`` doing ``import helper`` is identified together with ``helper.py``.

:func:`code_identity` finds that closure by reading source files, never by importing them and
never from ``sys.modules`` (in a sweep a module is imported already; imports inside ``fit``
happen after the cache lookup):

1. Each root ``"pkg.mod.Name"`` is looked up on ``sys.path`` as a file, the longest prefix that
   is a module (``pkg/mod.py`` or ``pkg/mod/__init__.py``); the ``__init__.py`` of every parent
   package counts too (importing ``pkg.mod`` runs it).
2. Each file is parsed (:mod:`ast`) and every import in it is followed: module level, inside
   functions and methods, under ``try``/``if`` (an optional import counts whether or not it is
   taken), relative imports, ``from pkg import submodule``, and ``importlib.import_module`` /
   ``__import__`` called with a literal string.
3. The walk stops at the standard library (identified by the Python version, already in the
   key) and at installed distributions, anything under a site-packages folder (identified by
   ``distribution==version``). Every other file, the project's own runner and cleanlearn
   included when they are not installed from a wheel, is identified by the SHA-256 of its bytes.
   A module imported somewhere but found nowhere is recorded as ``absent`` (installing it
   changes the key).

What the walk cannot see (docs/guide/reliability.md): a module imported by a computed name
(``importlib.import_module(f"plugins.{name}")``, ``__import__(variable)``), code loaded by
``exec``/``runpy``/pickle, data files a module reads at run time (a lookup table, a JSON of
weights), environment variables, and a file changed while the process already imported the
old version of it (the key is computed from the files on disk).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import re
import site
import sys
import sysconfig
from collections.abc import Iterable, Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["code_identity", "dotted_paths", "module_file"]

# A dotted Python path: "pkg.module.Name" (at least one dot; no leading digit).
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
_STDLIB = frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names) | {"__future__"}
ABSENT = "absent"


def dotted_paths(node: Any) -> Iterator[str]:
    """Every string in nested dicts and lists that reads as a dotted path: each ``_target_``
    and any class- or function-valued parameter given by its path (``module: nets.TinyNet``)."""
    if isinstance(node, Mapping):
        for value in node.values():
            yield from dotted_paths(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from dotted_paths(value)
    elif isinstance(node, str) and _DOTTED.match(node):
        yield node


def code_identity(key: Mapping[str, Any], roots: Iterable[str] = ()) -> dict[str, str]:
    """{module or distribution: identity} of the import closure of ``key``'s dotted paths and ``roots``.

    A file of the closure outside the standard library and site-packages gives
    ``{"pkg.mod": "sha256:..."}``; an installed distribution reached from one gives
    ``{"sklearn": "scikit-learn==1.7.2"}``; a module imported but not found, ``"absent"``.
    """
    starts = tuple(sorted({*dotted_paths(key), *roots}))
    search = _search_path()
    memo = (starts, tuple(map(str, search)))
    if memo in _CLOSURES:
        identity, files, absent = _CLOSURES[memo]
        if _unchanged(files, absent, search):
            return dict(identity)
    identity, files, absent = _closure(starts, search)
    _CLOSURES[memo] = (identity, files, absent)
    return dict(identity)


# The last closure of each (starting paths, sys.path), reused while every file in it has the
# same bytes and no absent module has appeared: in a sweep the walk (tens of thousands of
# file-system lookups, ~0.1 s) ran three times per job for the same answer. The bytes are
# still read and hashed on every call. Not seen by the reuse: a new file that would shadow a
# module of the closure from an earlier sys.path entry, created while the process runs.
_CLOSURES: dict[tuple, tuple[dict[str, str], dict[Path, str], tuple[str, ...]]] = {}


def _unchanged(files: dict[Path, str], absent: tuple[str, ...], search: list[Path]) -> bool:
    try:
        same = all(_parsed(file)[0] == digest for file, digest in files.items())
    except OSError:
        return False
    return same and all(module_file(name, search) is None for name in absent)


def _closure(starts: tuple[str, ...], search: list[Path]):
    """(identity, {file: digest} of the hashed files, the absent modules) of the closure."""
    identity: dict[str, str] = {}
    files: dict[Path, str] = {}
    absent: list[str] = []
    seen: set[str] = set()
    pending = [module for path in starts for module in _modules_of(path)]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        top = name.partition(".")[0]
        if top in _STDLIB or identity.get(top, "sha256:").partition(":")[0] != "sha256":
            continue  # the stdlib, an installed distribution or an absent package: done with it
        file = module_file(name, search)
        if file is None:
            if _exists_as_top_level(top, search):
                continue  # "pkg.attr" imported from a package: an attribute, not a module
            identity[top] = ABSENT
            absent.append(top)
            continue
        installed = _installed(top, file)
        if installed is not None:
            identity[top] = installed
            if installed.startswith("sha256:"):  # installed without metadata: its bytes count
                files[file] = installed.partition(":")[2]
            continue
        digest, imports = _parsed(file)
        identity[name] = f"sha256:{digest}"
        files[file] = digest
        package = name if file.name == "__init__.py" else name.rpartition(".")[0]
        for imported in imports:
            pending.extend(_modules_of(_absolute(imported, package)))
    return dict(sorted(identity.items())), files, tuple(absent)


def _modules_of(path: str) -> list[str]:
    """"a.b.C" -> the modules importing it runs: "a", "a.b" and "a.b.C" (if "a.b.C" is a module)."""
    parts = path.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts) + 1) if all(parts[:end])]


def _absolute(imported: tuple[int, str], package: str) -> str:
    """A relative import (level, "name") made absolute from the importing module's package."""
    level, name = imported
    if level == 0:
        return name
    base = package.split(".")
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, name] if name else base)


def module_file(name: str, search: list[Path] | None = None) -> Path | None:
    """The source file of module ``name`` on sys.path (a module's .py, a package's __init__.py,
    an extension module's .so), without importing anything; None when there is none."""
    parts = name.split(".")
    for entry in _search_path() if search is None else search:
        base = entry.joinpath(*parts)
        for candidate in (base / "__init__.py", base.with_name(base.name + ".py")):
            if candidate.is_file():
                return candidate
        if base.parent.is_dir():
            for suffix in _EXTENSION_SUFFIXES:
                candidate = base.with_name(base.name + suffix)
                if candidate.is_file():
                    return candidate
    return None


_EXTENSION_SUFFIXES = tuple(s for s in (".so", ".pyd", sysconfig.get_config_var("EXT_SUFFIX") or "") if s)


def _exists_as_top_level(top: str, search: list[Path]) -> bool:
    return top in _STDLIB or module_file(top, search) is not None or any(
        (entry / top).is_dir() for entry in search
    )


def _search_path() -> list[Path]:
    """sys.path as folders ("" is the working directory)."""
    return [Path(entry or ".") for entry in sys.path if Path(entry or ".").is_dir()]


@functools.cache
def _site_roots() -> tuple[Path, ...]:
    folders = {sysconfig.get_paths()[name] for name in ("purelib", "platlib")}
    folders.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    folders.add(site.getusersitepackages())
    return tuple(Path(folder).resolve() for folder in folders if folder)


def _installed(top: str, file: Path) -> str | None:
    """"dist==version" when ``file`` lies in an installed distribution's folder, else None."""
    resolved = file.resolve()
    inside = any(root in resolved.parents for root in _site_roots()) or "site-packages" in resolved.parts
    if not inside:
        return None
    # Installed files without metadata: their bytes identify them.
    return _distribution_versions(top) or f"sha256:{_parsed(file)[0]}"


@functools.cache
def _distribution_versions(top: str) -> str:
    """"scikit-learn==1.7.2" for top-level package "sklearn" (once per process: the installed
    version is the one imported)."""
    versions = []
    for name in sorted(set(_packages_distributions().get(top, []))):
        try:
            versions.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ",".join(versions)


@functools.lru_cache(maxsize=1)
def _packages_distributions() -> Mapping[str, list[str]]:
    return metadata.packages_distributions()


def _parsed(file: Path) -> tuple[str, tuple[tuple[int, str], ...]]:
    """(SHA-256 of the file's bytes, its imports as (level, name)).

    The bytes are read and hashed every time (an edit within the file system's timestamp
    granularity, of the same size, must still count); only the parse is reused, by content.
    """
    data = file.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if file.suffix != ".py":
        return digest, ()
    if digest not in _IMPORTS:
        try:
            _IMPORTS[digest] = tuple(_imports(ast.parse(data)))
        except (SyntaxError, ValueError):
            _IMPORTS[digest] = ()  # importing it fails; its bytes still identify it
    return digest, _IMPORTS[digest]


_IMPORTS: dict[str, tuple[tuple[int, str], ...]] = {}  # by SHA-256 of the source


def _imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            yield node.level, module
            for alias in node.names:  # "from pkg import submodule"
                if alias.name != "*":
                    yield node.level, f"{module}.{alias.name}" if module else alias.name
        elif isinstance(node, ast.Call) and node.args and _is_import_call(node.func):
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield 0, first.value


def _is_import_call(func: ast.expr) -> bool:
    """``importlib.import_module(...)``, ``import_module(...)`` or ``__import__(...)``."""
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in ("import_module", "__import__")
