"""hccdash: the router and shared frame (`streamlit run app.py`)."""

from __future__ import annotations

import streamlit as st

import serve
from hccdash import overview, paths, startup
from hccdash.cohort import load_cohort
from hccdash.display import as_text, store_errors_shown
from hccdash.extraction.status import stored_extraction_totals
from hccdash.spreadsheet import csv_text
from page_parts import figure_export_controls, mark_stale_results, table1_view

serve.install_guards()  # also when started as `streamlit run app.py` (see serve.py)
st.set_page_config(page_title="hccdash", page_icon=":material/monitor_heart:", layout="wide")
mark_stale_results()
figure_export_controls()


@st.cache_resource(show_spinner="Preparing hccdash: importing the sample cohort on first start ...")
def prepare(home: str) -> startup.StartupReport:
    """Once per server process and data directory: sample cohort on first start, resume stale jobs."""
    return startup.prepare()


def home() -> None:
    """What is loaded and where to go next."""
    st.title("hccdash")
    st.caption("Radiomics nomograms for HCC recurrence after ablation, resection or TACE.")
    counts, cases = overview.store_counts(), stored_extraction_totals()
    cols = st.columns(4)
    cols[0].metric("Cohorts", counts["cohorts"])
    cols[1].metric("Extracted cases", cases["done"], help="Patient × phase × reader of the stored cohorts, extracted "
                   "with the default settings (the features Model building reads)")
    cols[2].metric("Failed cases", cases["failed"], help="Under the default settings")
    cols[3].metric("Saved models", counts["models"])
    cohorts = overview.cohort_summary()
    if cohorts.empty:
        st.info("No cohort yet: start with **Cohort import**.")
    else:
        st.subheader("Cohorts")
        st.dataframe(cohorts, hide_index=True, width="stretch")
        st.download_button("Download cohorts (CSV)", csv_text(cohorts), "cohorts.csv", "text/csv")
        name = st.session_state.get("cohort") or cohorts["name"].iloc[-1]
        st.subheader(f"Table 1: {as_text(name)}")
        cohort = load_cohort(name)
        table1_view(name, cohort.fingerprint, "home_table1")
    st.markdown(
        "Next steps: **Cohort import** (clinical table, images, split, Table 1) → "
        "**Feature extraction** → **Model building** → **Evaluation** → "
        "**Model registry** and **Patient calculator**; **Validation** of a saved model on another cohort."
    )


PAGES = [
    st.Page(home, title="Home", icon=":material/home:", default=True),
    st.Page("pages/1_cohort_import.py", title="Cohort import", icon=":material/upload_file:"),
    st.Page("pages/2_feature_extraction.py", title="Feature extraction", icon=":material/memory:"),
    st.Page("pages/7_case_viewer.py", title="Case viewer", icon=":material/radiology:"),
    st.Page("pages/3_model_building.py", title="Model building", icon=":material/tune:"),
    st.Page("pages/4_evaluation.py", title="Evaluation", icon=":material/monitoring:"),
    st.Page("pages/5_model_registry.py", title="Model registry", icon=":material/inventory_2:"),
    st.Page("pages/6_patient_calculator.py", title="Patient calculator", icon=":material/calculate:"),
    st.Page("pages/8_validation.py", title="Validation", icon=":material/fact_check:"),
]

page = st.navigation(PAGES, position="sidebar")
with store_errors_shown(st.error):  # a damaged or busy store: said in words on every page
    prepare(str(paths.home()))
    st.session_state.setdefault("cohort", overview.default_cohort())
    page.run()
