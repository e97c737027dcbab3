"""The sidebar's figure export choice reaches the pages' PNG / SVG downloads (Patient calculator),
and the sidebar holds the choice on every page of the app."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from hccdash.paths import PROJECT_DIR
from hccdash.registry import registry


@pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")
def test_print_size_chosen_in_the_sidebar_labels_every_png_download(cox_pipeline):
    registry.save(cox_pipeline.result.model, "combined", **cox_pipeline.save_kwargs())
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120).run()
    at.switch_page("pages/6_patient_calculator.py").run()
    at.number_input(key="calculator_in_rad_score").set_value(0.3)
    at.button[0].click().run()  # Predict: the nomogram and survival charts appear
    labels = [b.label for b in at.get("download_button") if (b.key or "").startswith("calculator_") and (b.key or "").endswith("_png")]
    assert labels and set(labels) == {"PNG"}  # the screen size by default
    # the sidebar's widgets (app.py draws them; AppTest runs the page alone, so their state is set here)
    for key, value in {"export_print_size": True, "export_width_in": 3.35, "export_height_in": 2.5,
                       "export_dpi": 600}.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button") if (b.key or "").startswith("calculator_") and (b.key or "").endswith("_png")]
    assert len(labels) >= 2 and set(labels) == {"PNG (3.35 x 2.5 in, 600 DPI)"}


def test_the_sidebar_offers_the_export_size():
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert at.sidebar.toggle(key="export_print_size").value is False
    assert [n.value for n in at.sidebar.number_input] == [7.0, 5.0, 300]
