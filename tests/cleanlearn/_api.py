"""Test helper: check that cleanlearn's public functions are a drop-in for the reference's."""

from __future__ import annotations

import inspect


def _public_functions(module):
    return {
        name: function
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if not name.startswith("_") and function.__module__ == module.__name__
    }


# Defaults that differ on purpose: None (or a tuple) instead of a shared mutable default
# object, and estimate_joint's pred_probs is optional (unused when confident_joint is given).
INTENDED_DEFAULTS = {"clf", "clf_kwargs", "log_loss_search_T_values", "pred_probs", "rank_by_kwargs"}


def assert_drop_in_signatures(ours, reference, *, extra_allowed=("n_jobs",)):
    """Every public function of the reference exists with the same parameters, kinds and
    defaults (bar INTENDED_DEFAULTS); additions are keyword-only and listed in extra_allowed."""
    our_functions = _public_functions(ours)
    for name, ref_function in _public_functions(reference).items():
        assert name in our_functions, f"{name} missing"
        ref_params = inspect.signature(ref_function).parameters
        our_params = inspect.signature(our_functions[name]).parameters
        assert list(our_params)[: len(ref_params)] == list(ref_params), name
        for param_name, ref_param in ref_params.items():
            our_param = our_params[param_name]
            assert our_param.kind == ref_param.kind, (name, param_name)
            if param_name not in INTENDED_DEFAULTS:
                assert our_param.default == ref_param.default, (name, param_name)
        for param_name in set(our_params) - set(ref_params):
            assert param_name in extra_allowed and our_params[param_name].kind == inspect.Parameter.KEYWORD_ONLY
