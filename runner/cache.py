"""`python -m runner.cache`: the command line of :mod:`runner.core.cache` (kept at its old name)."""

from runner.core.cache import main

if __name__ == "__main__":
    raise SystemExit(main())
