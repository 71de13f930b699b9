"""`python -m runner.search_results`: the command line of :mod:`runner.sweep.search_results` (kept at its old name)."""

from runner.sweep.search_results import main

if __name__ == "__main__":
    raise SystemExit(main())
