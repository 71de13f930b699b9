"""Each distinct defaults list of a sweep composed once: Hydra's config loader, memoised.

Hydra composes a job's config from scratch for every job, and a sweep composes it three
times (the whole-sweep check, BasicSweeper's ``validate_batch_is_legal`` and the launch):
about 0.4 s each on the project's 2-core machine, nearly all of it building the defaults
tree and merging the config files and schemas it names. But the jobs of a sweep differ
mostly in plain values (``seed=3``, ``noise.rate=0.4``, ``cleanlearning...filter_by=both``),
which Hydra applies *after* composition, on the composed config. Only group choices
(``classifier=svc``, ``hydra/launcher=joblib``) change the defaults list.

:class:`CachingConfigLoader` is Hydra 1.3's ``ConfigLoaderImpl`` with its
``_load_configuration_impl`` memoised on what decides the defaults list: the config name, the
run mode and the overrides that Hydra itself routes to the defaults list (a key naming a
config group, :func:`is_defaults_override`). The defaults list and the composed config of
each distinct key are built once; every call gets a deep copy, then the plain-value
overrides and the ``hydra.*`` runtime fields are applied exactly as Hydra's own method does
(the body below follows hydra/_internal/config_loader_impl.py of hydra-core 1.3, which
pyproject.toml pins). So a sweep over values only composes once, and a 1,000-job grid pays
one composition per distinct choice of groups plus a few milliseconds per job.

:func:`use_composition_cache` puts it in place of the running Hydra's loader; the whole-sweep
check (runner.sweep.check) calls it in ``on_multirun_start``, before Hydra hands the loader
to the sweeper and the launcher, so the check, the sweeper's validation and the launch share
one cache. Pickled (joblib and submitit launchers send the loader to their workers), it
travels without its cache.
"""

from __future__ import annotations

import copy
import os
import pickle
from types import SimpleNamespace
from typing import Any

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra._internal.config_repository import CachingConfigRepository
from hydra._internal.defaults_list import create_defaults_list
from hydra.conf import ConfigSourceInfo
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.core.utils import JobRuntime
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

__all__ = ["CachingConfigLoader", "install", "is_defaults_override", "split_hydra", "use_composition_cache"]


def is_defaults_override(override: Override, repo) -> bool:
    """True when Hydra routes ``override`` to the defaults list (a group choice), as its own
    ``hydra._internal.defaults_list.Overrides`` decides; search-path overrides count too, since
    they change where the configs come from."""
    key = override.key_or_group
    if key.startswith("hydra.searchpath"):
        return True
    if isinstance(override.value(), dict):
        return False
    return repo.group_exists(key)


class CachingConfigLoader(ConfigLoaderImpl):
    """Hydra's config loader with composition memoised per defaults list (see module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._compositions: dict[tuple, tuple] = {}
        self._groups_repo: CachingConfigRepository | None = None
        self.compositions_built = 0  # distinct defaults lists composed (for tests and benchmarks)

    @classmethod
    def wrapping(cls, loader: ConfigLoaderImpl) -> CachingConfigLoader:
        """A caching loader with ``loader``'s search path and repository."""
        cached = cls.__new__(cls)
        cached.__dict__.update(loader.__dict__)
        cached._compositions = {}
        cached._groups_repo = None
        cached.compositions_built = 0
        return cached

    def _parse(self, overrides: list[str]) -> list[Override]:
        """Hydra's parse of each override, memoised per line (Override objects are read, never changed)."""
        parsed = self.__dict__.setdefault("_parsed", {})
        for line in overrides:
            if line not in parsed:
                (parsed[line],) = OverridesParser.create().parse_overrides(overrides=[line])
        return [parsed[line] for line in overrides]

    def _is_defaults_override(self, override: Override) -> bool:
        groups = self.__dict__.setdefault("_is_group", {})
        line = override.input_line
        if line not in groups:
            groups[line] = is_defaults_override(override, self._groups_repo)
        return groups[line]

    def _compose(self, config_name: str | None, parsed_overrides: list[Override], run_mode: RunMode) -> tuple:
        """(raw, prepared, known choices, config sources) of one defaults list, the configs pickled:
        a fresh copy per job costs a quarter of a deep copy. Hydra's
        _parse_overrides_and_create_caching_repo, create_defaults_list and composition."""
        caching_repo = self._caching_repo()
        self._process_config_searchpath(config_name, parsed_overrides, caching_repo)
        defaults_list = create_defaults_list(
            repo=caching_repo,
            config_name=config_name,
            overrides_list=parsed_overrides,
            prepend_hydra=True,
            skip_missing=run_mode == RunMode.MULTIRUN,
        )
        composed = self._compose_config_from_defaults_list(defaults=defaults_list.defaults, repo=caching_repo)
        sources = [ConfigSourceInfo(path=x.path, schema=x.scheme(), provider=x.provider)
                   for x in caching_repo.get_sources()]
        known_choices = dict(defaults_list.overrides.known_choices)
        raw = _Frozen(composed)
        OmegaConf.set_struct(composed, True)
        OmegaConf.set_readonly(composed.hydra, False)
        with open_dict(composed.hydra):
            composed.hydra.runtime.choices.update(known_choices)
        _set_runtime(composed, sources)
        self.compositions_built += 1
        return raw, _Frozen(composed), known_choices, sources

    def _caching_repo(self) -> CachingConfigRepository:
        """Hydra's CachingConfigRepository(self.repository), whose deep copy of the repository
        copied the whole ConfigStore too (every schema, ~0.1 s; ``--help`` makes one per config
        group): the store is shared instead, as Hydra only reads it (ConfigStore.load copies)."""
        from hydra.core.config_store import ConfigStore

        store = ConfigStore.instance()
        repo = CachingConfigRepository.__new__(CachingConfigRepository)
        repo.delegate = copy.deepcopy(self.repository, memo={id(store): store})
        repo.cache = {}
        return repo

    def _parse_overrides_and_create_caching_repo(self, config_name, overrides):
        parsed_overrides = self._parse(list(overrides))
        caching_repo = self._caching_repo()
        self._process_config_searchpath(config_name, parsed_overrides, caching_repo)
        return parsed_overrides, caching_repo

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_compositions"] = {}
        state["_groups_repo"] = None
        state["_parsed"] = {}
        state["_is_group"] = {}
        return state

    def _load_configuration_impl(
        self,
        config_name: str | None,
        overrides: list[str],
        run_mode: RunMode,
        from_shell: bool = True,
        validate_sweep_overrides: bool = True,
    ) -> DictConfig:
        self.ensure_main_config_source_available()
        parsed_overrides = self._parse(overrides)
        if validate_sweep_overrides:
            self.validate_sweep_overrides_legal(overrides=parsed_overrides, run_mode=run_mode, from_shell=from_shell)
        if self._groups_repo is None:  # a CachingConfigRepository deep-copies the repository: once
            self._groups_repo = self._caching_repo()
            self._process_config_searchpath(config_name, [], self._groups_repo)

        defaults_overrides = tuple(o.input_line for o in parsed_overrides if self._is_defaults_override(o))
        key = (config_name, run_mode, defaults_overrides)
        if key not in self._compositions:
            self._compositions[key] = self._compose(config_name, parsed_overrides, run_mode)
        raw, prepared, known_choices, sources = self._compositions[key]
        # what Hydra's Overrides class keeps as config overrides, in the command line's order
        config_overrides = [o for o in parsed_overrides
                            if not o.is_sweep_override() and not self._is_defaults_override(o)]
        # The prepared copy already holds what Hydra sets below, identical for every job of this
        # defaults list; an override of hydra.runtime.* takes the raw one, so Hydra's order holds.
        use_prepared = not any(o.key_or_group.startswith("hydra.runtime") for o in config_overrides)
        cfg = (prepared if use_prepared else raw).thaw()

        # From here on as hydra-core 1.3's ConfigLoaderImpl._load_configuration_impl.
        if not use_prepared:
            OmegaConf.set_struct(cfg, True)
            OmegaConf.set_readonly(cfg.hydra, False)
        ConfigLoaderImpl._apply_overrides_to_config(config_overrides, cfg)
        app_overrides = [o for o in parsed_overrides if not o.is_hydra_override()]
        hydra_lines = [o.input_line for o in parsed_overrides if o.is_hydra_override()]
        if hydra_lines:  # one assignment instead of an append per override (same list)
            cfg.hydra.overrides.hydra = [*cfg.hydra.overrides.hydra, *hydra_lines]
        if app_overrides:
            cfg.hydra.overrides.task = [*cfg.hydra.overrides.task, *(o.input_line for o in app_overrides)]

        with open_dict(cfg.hydra):
            if not use_prepared:
                cfg.hydra.runtime.choices.update(known_choices)
            for key_name in cfg.hydra.job.env_copy:
                cfg.hydra.job.env_set[key_name] = os.environ[key_name]
        if not use_prepared:
            _set_runtime(cfg, sources)
        cfg.hydra.runtime.cwd = os.getcwd()
        if "name" not in cfg.hydra.job:
            cfg.hydra.job.name = JobRuntime().get("name")
        cfg.hydra.job.override_dirname = get_overrides_dirname(
            overrides=app_overrides,
            kv_sep=cfg.hydra.job.config.override_dirname.kv_sep,
            item_sep=cfg.hydra.job.config.override_dirname.item_sep,
            exclude_keys=cfg.hydra.job.config.override_dirname.exclude_keys,
        )
        cfg.hydra.job.config_name = config_name
        return cfg


class _Frozen:
    """A config kept for copies: pickled (a copy costs a quarter of a deep copy), or, when a
    class in it cannot be pickled by name, deep-copied. (Hydra's plugin scan executes a
    plugin's module again, e.g. in a joblib worker: the ConfigStore then holds a class that
    is no longer the module's.)"""

    def __init__(self, config: DictConfig) -> None:
        try:
            self.pickled, self.config = pickle.dumps(config), None
        except (pickle.PicklingError, TypeError, AttributeError):
            self.pickled, self.config = None, copy.deepcopy(config)

    def thaw(self) -> DictConfig:
        return pickle.loads(self.pickled) if self.pickled is not None else copy.deepcopy(self.config)


def _set_runtime(cfg: DictConfig, sources: list) -> None:
    from hydra import __version__, version

    cfg.hydra.runtime.version = __version__
    cfg.hydra.runtime.version_base = version.getbase()
    cfg.hydra.runtime.config_sources = list(sources)


def install() -> None:
    """Make every Hydra started from now on in this process use :class:`CachingConfigLoader`
    (``python -m runner`` calls it before ``hydra.main``: ``--help`` lists the config groups
    through it, a sweep composes through it). Hydra builds its loader in
    ``hydra._internal.hydra.Hydra.create_main_hydra2`` from that module's ``ConfigLoaderImpl``."""
    import hydra._internal.hydra as hydra_internal

    hydra_internal.ConfigLoaderImpl = CachingConfigLoader


def use_composition_cache() -> CachingConfigLoader:
    """Replace the running Hydra's config loader by a :class:`CachingConfigLoader` (idempotent)."""
    from hydra.core.global_hydra import GlobalHydra

    hydra = GlobalHydra.instance().hydra
    assert hydra is not None, "Hydra is not initialised"
    if not isinstance(hydra.config_loader, CachingConfigLoader):
        hydra.config_loader = CachingConfigLoader.wrapping(hydra.config_loader)
    return hydra.config_loader


def split_hydra(config: DictConfig) -> tuple[DictConfig, SimpleNamespace]:
    """(the task config, a stand-in for ``HydraConfig.instance().cfg``) of a composed job config
    that nobody else holds: its ``hydra`` node is taken out in place, no copy made (what the job
    gets from Hydra's run_job: a deep copy without that node). Setting the stand-in as
    ``HydraConfig.instance().cfg`` makes ``${hydra:...}`` resolve for this job."""
    hydra_node = config._get_node("hydra")
    with read_write(config), open_dict(config):
        del config["hydra"]
    return config, SimpleNamespace(hydra=hydra_node)
