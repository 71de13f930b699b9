"""``python -m runner.report DIR``: rebuild the report of a run, or of a sweep and its jobs."""

from runner.report import main

if __name__ == "__main__":
    raise SystemExit(main())
