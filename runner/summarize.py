"""`python -m runner.summarize`: the command line of :mod:`runner.results.summarize` (kept at its old name)."""

from runner.results.summarize import main

if __name__ == "__main__":
    raise SystemExit(main())
