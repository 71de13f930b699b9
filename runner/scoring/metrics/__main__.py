"""``python -m runner.scoring.metrics``: the docs' table of the metrics, from the registry."""

from runner.scoring.metrics import markdown_table

if __name__ == "__main__":
    print(markdown_table(), end="")
