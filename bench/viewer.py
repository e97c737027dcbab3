"""Benchmark: how long the Case viewer takes to show another slice of a 512 x 512 x 100 series.

    python bench/viewer.py [--moves N]

1. Library: a synthetic patient at clinical size (``bench/clinical_cases.py``, 100 slices of
   512 x 512 at 0.70 mm, two readers' masks) is read once (``hccdash.imaging.volumes``),
   then ``render_slice`` (window, both readers' outlines, PNG) is timed for ``--moves``
   slice changes in each plane.
2. Page: the patient is imported as a cohort into a fresh ``HCCDASH_HOME``, ``streamlit
   run app.py`` serves it, and headless Chromium opens the Case viewer, waits for the
   first image, then moves the slice slider one step with the keyboard ``--moves`` times.
   Each move is timed from the key press until the page's script run has finished and the
   new image is loaded in the browser: what the user waits for.

Prints the load average before and after, each time, and as its last line
``render_ms=<median library render> slice_change_ms=<median page slice change> p95_ms=<page 95th percentile>``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from app_server import serve_app  # noqa: E402
from clinical_cases import write_cohort  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, _wait_for_script  # noqa: E402

STATE = """() => document.querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state')"""
FIRST_IMAGE = """() => { const img = document.querySelector('[data-testid="stImage"] img');
                         return img && img.complete && img.naturalWidth > 0 ? img.src : null; }"""


def _load() -> str:
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def library_times(rows, moves: int) -> list[float]:
    """Seconds of ``render_slice`` (two outlines) for ``moves`` slice changes in each plane."""
    from hccdash.imaging.case_view import load_case_view
    from hccdash.imaging.render import PLANES, PRESETS, READER_COLOURS, Overlay, plane_count, render_slice

    images = rows.rename(columns={"image": "image_path", "mask": "mask_path"})
    start = time.perf_counter()
    view = load_case_view(images[images["reader"].isin(["1", "2"])], "C001", "portal")
    print(f"first read of the series and both masks: {time.perf_counter() - start:.2f} s, shape {view.volume.shape}")
    overlays = [Overlay(view.rois[r], colour, outside=i == 1)
                for i, (r, (colour, _)) in enumerate(zip(sorted(view.rois), READER_COLOURS))]
    window = PRESETS["CT liver (W150 / L60)"]
    times = []
    for plane in PLANES:
        middle = plane_count(view.volume.shape, plane) // 2
        for k in range(moves):
            start = time.perf_counter()
            render_slice(view.volume, plane, middle + k, window, overlays)
            times.append(time.perf_counter() - start)
    return times


def _import(rows, folder: Path):
    def prepare(home: str) -> None:
        os.environ["HCCDASH_HOME"] = home
        import pandas as pd

        from hccdash.cohort import import_cohort
        from hccdash.settings import SplitSettings
        from hccdash.store import close_idle

        clinical = pd.DataFrame({"patient_id": [f"C{i:03d}" for i in range(1, 11)],
                                 "rfs_months": [12.0 + 3 * i for i in range(10)], "recurrence": [1, 0] * 5})
        manifest = folder / "viewer_manifest.csv"
        rows[rows["reader"].isin(["1", "2"])].to_csv(manifest, index=False)
        result = import_cohort("viewer", clinical, images=str(manifest), split=SplitSettings(method="none"))
        assert result.ok, result.report.to_text()
        close_idle()  # the server's process opens the store next

    return prepare


def page_times(url: str, moves: int) -> list[float]:
    """Seconds per slice change in the Case viewer, in Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(url)
        _wait_for_script(page)
        page.locator('[data-testid="stSidebarNavLink"]', has_text="Case viewer").first.click()
        start = time.perf_counter()
        _wait_for_script(page)
        page.wait_for_function(FIRST_IMAGE, timeout=120_000)
        print(f"Case viewer opened on the 512 x 512 x 100 series: {time.perf_counter() - start:.1f} s")
        thumb = page.locator('[data-testid="stSlider"]', has_text="Slice").locator('input[type="range"]')
        times = []
        for i in range(moves):
            before = page.evaluate(FIRST_IMAGE)
            thumb.focus()
            start = time.perf_counter()
            page.keyboard.press("ArrowRight" if i % 4 < 2 else "ArrowLeft")
            page.wait_for_function(f"() => {{ const src = ({FIRST_IMAGE})(); return src && src !== {before!r}; }}",
                                   timeout=60_000, polling=5)
            page.wait_for_function(f"() => ({STATE})() === 'notRunning'", timeout=60_000, polling=5)
            times.append(time.perf_counter() - start)
        browser.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=12, help="slice changes timed (default 12)")
    parser.add_argument("--data", default=str(Path(tempfile.gettempdir()) / "hccdash-bench-viewer"),
                        help="folder of the 512 x 512 x 100 case (made once, reused)")
    args = parser.parse_args()
    print(f"before: {_load()}")
    folder = Path(args.data)
    rows = write_cohort(folder, 1, slices=100)
    render = library_times(rows, args.moves)
    render_ms = statistics.median(render) * 1000
    print("render_slice: " + ", ".join(f"{t * 1000:.0f}" for t in render) + f" ms; median {render_ms:.0f} ms")
    with serve_app("viewer", _import(rows, folder)) as url:
        page = page_times(url, args.moves)
    ordered = sorted(page)
    median, p95 = statistics.median(page) * 1000, ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000
    print("slice change in the browser: " + ", ".join(f"{t * 1000:.0f}" for t in page) + f" ms; median {median:.0f} ms")
    print(f"after: {_load()}")
    print(f"render_ms={render_ms:.0f} slice_change_ms={median:.0f} p95_ms={p95:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
