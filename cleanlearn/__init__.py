"""cleanlearn: fast confident learning, a drop-in for cleanlab's classification API."""

__version__ = "0.1.0"

from cleanlearn.classification import CleanLearning  # noqa: E402

__all__ = ["CleanLearning", "__version__"]
