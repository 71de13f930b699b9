"""Issue 19, cases 2, 5 and 7: labels checked alike in every loader, tables that say what they
use and warn about columns that spoil a run, and files that fail with their name and line."""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _compose import make_config
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from runner import datasets
from runner.config import register_configs, validate_config
from runner.datasets.base import Dataset, check_loaded_labels
from runner.datasets.columns import column_warnings, leak_warnings, majority_agreement
from runner.experiment.data import load_dataset
from runner.experiment.pipeline import run
from runner.report import write_run_report

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
register_configs()




# ---------------------------------------------------------------------------------------
# Case 2: a NaN label never becomes a class; every loader's labels pass one check


def test_a_nan_label_in_precomputed_float_labels_is_refused_with_its_row(tmp_path):
    rng = np.random.default_rng(0)
    pred_probs = rng.dirichlet(np.ones(4), size=40)
    labels = (np.arange(40) % 3).astype(np.float64)  # {0., 1., 2.} and one NaN
    labels[17] = np.nan
    np.save(tmp_path / "p.npy", pred_probs)
    np.save(tmp_path / "l.npy", labels)
    cfg = make_config("dataset=precomputed", f"dataset.pred_probs={tmp_path / 'p.npy'}",
                      f"dataset.labels={tmp_path / 'l.npy'}")
    with pytest.raises(ValueError, match=r"dataset\.labels: row 17: empty label \(nan\); 1 of 40"):
        load_dataset(cfg.dataset, data_seed=0, split_seed=0)


@pytest.mark.parametrize("missing", [None, np.nan, "", "  "])
def test_missing_labels_are_refused_alike_whatever_the_loader(missing):
    labels = np.array(["cat", "dog", missing, "cat"], dtype=object)
    loaded = Dataset(features=np.zeros((4, 1)), labels=labels)
    with pytest.raises(ValueError, match=r"dataset\.labels: row 2: empty label"):
        check_loaded_labels(loaded)


def test_mixed_label_types_are_one_line_with_two_examples_of_each():
    labels = np.array(["cat", 3, "dog", 7, "cat", 3, 9], dtype=object)
    with pytest.raises(ValueError) as error:
        check_loaded_labels(Dataset(features=np.zeros((7, 1)), labels=labels))
    message = str(error.value)
    assert "\n" not in message
    assert "labels mix types: int (3, 7) and str ('cat', 'dog')" in message
    assert message.startswith("dataset.labels: row 1:")  # the first row of another type than row 0


def test_ints_and_floats_sort_together_and_are_accepted():
    check_loaded_labels(Dataset(features=np.zeros((3, 1)), labels=np.array([0, 1.0, 2], dtype=object)))


def test_csv_string_labels_and_integer_true_labels_are_refused_not_sorted(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"x": range(12), "label": ["a", "b"] * 6, "truth": [0, 1] * 6}).to_csv(path, index=False)
    cfg = make_config("dataset=csv", f"dataset.path={path}", "dataset.label_column=label",
                      "dataset.true_label_column=truth")
    with pytest.raises(ValueError, match=r"labels mix types: int \(0, 1\) and str \('a', 'b'\)"):
        load_dataset(cfg.dataset, data_seed=0, split_seed=0)


def test_an_empty_csv_label_names_file_column_and_line(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"x": range(4), "label": ["a", "b", None, "a"]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"t\.csv: column 'label', line 4: empty label"):
        datasets.csv(str(path), "label")


# ---------------------------------------------------------------------------------------
# Case 5 (loaders): a header-only or undecodable CSV is a clear error naming the file


def test_a_header_only_csv_is_an_error_naming_the_file_not_a_division_by_zero(tmp_path):
    path = tmp_path / "only_header.csv"
    path.write_text("x,y,label\n")
    cfg = make_config("dataset=csv", f"dataset.path={path}", "dataset.label_column=label")
    with pytest.raises(ValueError, match=r"only_header\.csv: a header line and no data rows"):
        run(cfg, tmp_path / "out")


def test_a_non_utf8_csv_names_file_line_and_column_and_reads_with_dataset_encoding(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("x,label\n1,caf\xe9\n2,th\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin\.csv: line 2, column 6: byte 0xe9 is not valid utf-8; "
                                         r"set dataset\.encoding"):
        datasets.csv(str(path), "label")
    cfg = make_config("dataset=csv", f"dataset.path={path}", "dataset.label_column=label",
                      "dataset.encoding=latin-1")
    assert cfg.dataset.encoding == "latin-1"
    loaded = datasets.csv(str(path), "label", encoding="latin-1")
    assert list(loaded.labels) == ["café", "thé"]
    assert make_config("dataset=csv", f"dataset.path={path}", "dataset.label_column=label").dataset.encoding == "utf-8"


# ---------------------------------------------------------------------------------------
# Case 7: tables say which columns they use and warn about ids, constants and leaks


def test_a_duplicate_header_is_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("species,species,x\na,a,1\nb,b,2\n")
    with pytest.raises(ValueError, match=r"dup\.csv: line 1 \(the header\) names the column\(s\) \['species'\]"):
        datasets.csv(str(path), "species")


def leaky_table(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Features that carry the answer: the true diagnosis (20% of the given labels disagree)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    given = np.where(rng.random(n) < 0.2, (truth + 1) % 3, truth)
    return pd.DataFrame({
        "patient_id": [f"p{i:04d}" for i in range(n)],
        "row": rng.permutation(n),
        "site": "A",
        "x": rng.normal(size=n) + truth,
        "true_diagnosis": truth,
        "code": np.array(["c0", "c1", "c2"])[given],  # the given label, renamed
        "label": given,
    })


def test_id_constant_and_one_to_one_columns_are_warned_about_by_name(tmp_path):
    table = leaky_table()
    lines = column_warnings(table.drop(columns="label"), table["label"].to_numpy(), "t.csv")
    assert len(lines) == 4, lines
    assert lines[0].startswith("t.csv: column 'patient_id' looks like an id (text")
    assert lines[1].startswith("t.csv: column 'row' looks like an id (int")
    assert lines[2].startswith("t.csv: column 'site' is constant ('A' in every row)")
    assert lines[3].startswith("t.csv: column 'code' maps one-to-one onto the labels")
    assert all("dataset.drop_columns" in line for line in lines)
    assert "dataset.id_column=patient_id" in lines[0]


def test_majority_agreement_is_leave_one_out_against_a_hand_computation():
    values = pd.Series(["a", "a", "a", "b", "b", "c"])
    labels = np.array([0, 0, 1, 1, 1, 0])
    # a: rows 0 and 1 each see labels {0, 1} of the other two (tie -> 0), agree; row 2 sees
    # {0, 0} -> 0, disagrees. b: each sees the other's 1, agrees. c: no other row, disagrees.
    assert majority_agreement(values, labels) == pytest.approx(4 / 6)


def test_a_column_as_good_as_the_model_is_a_likely_leak():
    table = leaky_table()
    features, labels = table.drop(columns=["label", "code"]), table["label"].to_numpy()
    lines = leak_warnings(features, labels, cv_accuracy=0.8, source="t.csv")
    assert [re.search(r"column '(\w+)'", line)[1] for line in lines] == ["true_diagnosis"]
    assert "agrees with the given labels in 80% of rows" in lines[0]
    assert leak_warnings(features, labels, cv_accuracy=0.95, source="t.csv") == []  # the model does better


def test_a_table_run_logs_its_feature_columns_and_warns_about_the_leak(tmp_path, caplog):
    path = tmp_path / "leaky.csv"
    leaky_table().drop(columns="code").to_csv(path, index=False)
    cfg = make_config("dataset=csv", f"dataset.path={path}", "dataset.label_column=label",
                      "cleanlearning.cv_n_folds=3")
    with caplog.at_level(logging.INFO):
        run(cfg, tmp_path / "out")
    text = caplog.text
    assert ("5 feature columns: patient_id (text), row (int), site (text), x (float), true_diagnosis (int)"
            in text)
    assert "column 'patient_id' looks like an id" in text
    assert "column 'site' is constant" in text
    assert re.search(r"column 'true_diagnosis' alone agrees with the given labels in 8\d% of rows", text)


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self._table, self._cell = {}, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("id"), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._table is not None and self._cell is not None:
            self._table[-1].append(self._cell.strip())
            self._cell = None
        elif tag == "table":
            self._table = None


def test_report_html_shows_the_id_column(tmp_path):
    path = tmp_path / "t.csv"
    leaky_table().drop(columns=["code", "true_diagnosis", "row"]).to_csv(path, index=False)
    cfg = make_config("dataset=csv", f"dataset.path={path}", "dataset.label_column=label",
                      "dataset.id_column=patient_id", "cleanlearning.cv_n_folds=3")
    out = tmp_path / "out"
    run(cfg, out)
    OmegaConf.save(cfg, out / "resolved_config.yaml", resolve=True)
    write_run_report(out)
    flagged = _Tables()
    flagged.feed((out / "report.html").read_text())
    header, *rows = flagged.tables["flagged"]
    assert header[:3] == ["rank", "index", "patient_id"]
    issues = pd.read_csv(out / "label_issues.csv").set_index("index")
    assert rows and all(row[2] == issues.loc[int(row[1]), "patient_id"] for row in rows)


def test_a_label_column_not_in_the_file_is_a_config_error_before_loading(tmp_path):
    """Issue 19 case 8: the config check reads the header only, so a sweep refuses it before launch."""
    from runner.config import ConfigError

    path = tmp_path / "t.csv"
    path.write_text("x,label\n1,a\n")
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=["cache_dir=null", "dataset=csv", f"dataset.path={path}",
                                           "dataset.label_column=lable", "dataset.drop_columns=[y]"])
    with pytest.raises(ConfigError) as error:
        validate_config(cfg)
    lines = str(error.value).splitlines()
    assert lines == [
        f"dataset.label_column names a column not in {path}: got 'lable'; did you mean `label`? (columns: x, label)",
        f"dataset.drop_columns names a column not in {path}: got ['y'] (columns: x, label)",
    ]
