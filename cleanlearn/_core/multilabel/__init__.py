"""Multi-label internals: each class is a binary problem (does the class apply or not).

inputs (labels as lists of class indices, pred_probs) -> binary (one class's closed forms)
-> scores (per-class scores and their aggregation), count (the (K, 2, 2) joint and the
number of issues: what ``cleanlearn.count`` calls with ``multi_label=True``) and filter (the
per-class flags behind ``cleanlearn.multilabel_classification.filter``). count never imports
filter.
"""
