"""The reports as a person sees them: a real sweep's run and sweep report opened in headless
Chromium from file://, rendered, checked and photographed.

Debian's chromium and chromium-driver at /usr/bin, driven by selenium with the driver path
given explicitly (Selenium Manager would try to download a browser; it is made to fail here if
it ever runs). CI installs both packages; this test fails, never skips, when they are missing.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.image import imread

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
CHROMEDRIVER = Path(shutil.which("chromedriver") or "/usr/bin/chromedriver")
TOP_K = 20
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1400")


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    """A 2 x 2 sweep on digits (filter_by x seed) through the real command line."""
    sweep_dir = tmp_path_factory.mktemp("sweep")
    command = [
        sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={sweep_dir}", "cache_dir=null",
        "cleanlearning.cv_n_folds=2", "cleanlearning.find_label_issues_kwargs.filter_by=prune_by_noise_rate,both",
        "seed=0,1", f"report.top_k={TOP_K}",
    ]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return sweep_dir


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.is_file():
            pytest.fail(f"{path} not found: install Debian's {package} (apt-get install -y chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    def no_download(*args, **kwargs):
        raise AssertionError("Selenium Manager ran: the driver path must be given explicitly")

    original = SeleniumManager.binary_paths
    SeleniumManager.binary_paths = no_download
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        SeleniumManager.binary_paths = original


def job_dir(sweep_dir: Path, filter_by: str, seed: int) -> Path:
    """The job dir of one combination, found by its overrides (not by its dir's name)."""
    wanted = {f"cleanlearning.find_label_issues_kwargs.filter_by={filter_by}", f"seed={seed}"}
    (found,) = [path for path in sweep_dir.iterdir() if (path / ".hydra" / "overrides.yaml").is_file()
                and wanted <= set(yaml.safe_load((path / ".hydra" / "overrides.yaml").read_text()))]
    return found


def load(driver, url: str) -> None:
    """Go to ``url`` and wait until the page has loaded: on a busy machine chromedriver may
    return while it is still "interactive" (seen in CI); it must be "complete" within 30 s."""
    driver.get(url)
    deadline = time.monotonic() + 30
    while driver.execute_script("return document.readyState") != "complete" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert driver.execute_script("return document.readyState") == "complete"


def open_page(driver, path: Path) -> list[dict]:
    """Load a report from disk; return the console messages it logged."""
    driver.get_log("browser")  # drop messages of the previous page
    load(driver, path.resolve().as_uri())
    return driver.get_log("browser")


def rows(driver, table_id: str) -> list[list[str]]:
    """The rendered text of a table's body cells (one round trip, not one per cell)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map("
        "r => Array.from(r.cells).map(c => c.innerText.trim()));", f"table#{table_id} tbody tr")


def assert_images_loaded(driver) -> int:
    sizes = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight]);")
    assert sizes and all(done and width > 0 and height > 0 for done, width, height in sizes), sizes
    return len(sizes)


def assert_screenshot_not_blank(driver, path: Path) -> None:
    png = driver.get_screenshot_as_png()
    path.write_bytes(png)
    pixels = imread(io.BytesIO(png), format="png")[..., :3]
    assert pixels.shape[0] > 500 and pixels.shape[1] > 500
    # Mostly white page, but text, tables and figures: many colours, a fair share of non-white.
    rgb = np.round(pixels * 255).astype(np.int32)
    assert len(np.unique(rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2])) > 50
    assert (pixels.min(axis=2) < 0.9).mean() > 0.02


def test_run_report_renders_in_chromium(sweep_dir, browser, tmp_path):
    from selenium.webdriver.common.by import By

    job = job_dir(sweep_dir, "prune_by_noise_rate", 0)
    messages = open_page(browser, job / "report.html")
    assert [m for m in messages if m["level"] == "SEVERE"] == []

    issues = pd.read_csv(job / "label_issues.csv")
    flagged = issues[issues["is_label_issue"]].sort_values("label_quality", kind="stable")
    shown = rows(browser, "flagged")
    assert len(shown) == min(TOP_K, len(flagged))
    assert [int(r[1]) for r in shown] == flagged["index"].head(TOP_K).tolist()
    assert [r[6] for r in shown] == ["true error" if e else "false detection"
                                    for e in flagged["is_true_error"].head(TOP_K)]
    # Thumbnails in the flagged and missed tables, flagged_examples.png and matrices.png.
    n_missed = min(TOP_K, int((issues["is_true_error"] & ~issues["is_label_issue"]).sum()))
    assert assert_images_loaded(browser) == len(shown) + n_missed + 2
    assert_screenshot_not_blank(browser, tmp_path / "run.png")

    # The table sorts on a click (plain JavaScript, no error logged).
    browser.find_element(By.XPATH, "//table[@id='flagged']//th[text()='index']").click()
    assert [int(r[1]) for r in rows(browser, "flagged")] == sorted(int(r[1]) for r in shown)
    assert [m for m in browser.get_log("browser") if m["level"] == "SEVERE"] == []
    # The console channel works: an error would have been seen.
    browser.execute_script("console.error('probe')")
    assert any("probe" in m["message"] for m in browser.get_log("browser"))


def test_sweep_report_renders_in_chromium_and_links_to_the_runs(sweep_dir, browser, tmp_path):
    from selenium.webdriver.common.by import By

    messages = open_page(browser, sweep_dir / "report.html")
    assert [m for m in messages if m["level"] == "SEVERE"] == []
    jobs = rows(browser, "jobs")
    combinations = [("prune_by_noise_rate", 0), ("prune_by_noise_rate", 1), ("both", 0), ("both", 1)]
    assert [r[1:3] for r in jobs] == [[method, str(seed)] for method, seed in combinations]
    assert [r[-1] for r in jobs] == [f"{job_dir(sweep_dir, *c).name}/report.html" for c in combinations]
    (pair,) = rows(browser, "jaccard")
    assert pair[:3] == ["filter_by=both", "filter_by=prune_by_noise_rate", "2"] and 0 < float(pair[3]) <= 1
    assert len(rows(browser, "missed-by-all")) == 2  # one line per seed
    assert assert_images_loaded(browser) >= 1  # summary.png (results.png when the results step wrote it)
    assert_screenshot_not_blank(browser, tmp_path / "sweep.png")

    browser.find_element(By.LINK_TEXT, f"{job_dir(sweep_dir, 'both', 1).name}/report.html").click()
    assert "filter_by=both" in browser.title and "seed 1" in browser.title
    assert len(rows(browser, "flagged")) > 0
