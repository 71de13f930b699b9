"""cleanlearn: fast confident learning, a drop-in for cleanlab's classification API."""

__version__ = "0.1.0"

__all__ = ["CleanLearning", "__version__"]


def __getattr__(name):
    # Imported lazily so that `import cleanlearn.filter` does not pay for the estimator module.
    if name == "CleanLearning":
        from cleanlearn.classification import CleanLearning

        return CleanLearning
    raise AttributeError(f"module 'cleanlearn' has no attribute {name!r}")
