"""hccdash: the router and shared frame (`streamlit run app.py`)."""

from __future__ import annotations

import streamlit as st

from hccdash import overview

st.set_page_config(page_title="hccdash", page_icon=":material/monitor_heart:", layout="wide")


def home() -> None:
    """What is loaded and where to go next."""
    st.title("hccdash")
    st.caption("Radiomics nomograms for HCC recurrence after ablation, resection or TACE.")
    counts = overview.store_counts()
    cols = st.columns(4)
    cols[0].metric("Cohorts", counts["cohorts"])
    cols[1].metric("Extracted cases", counts["cases_done"])
    cols[2].metric("Failed cases", counts["cases_failed"])
    cols[3].metric("Saved models", counts["models"])
    cohorts = overview.cohort_summary()
    if cohorts.empty:
        st.info("No cohort yet: start with **Cohort import**.")
    else:
        st.subheader("Cohorts")
        st.dataframe(cohorts, hide_index=True, use_container_width=True)
    st.markdown(
        "Next steps: **Cohort import** (clinical table, images, split, Table 1) → "
        "**Feature extraction** → **Model building** → **Evaluation** → "
        "**Model registry** and **Patient calculator**."
    )


PAGES = [
    st.Page(home, title="Home", icon=":material/home:", default=True),
    st.Page("pages/1_cohort_import.py", title="Cohort import", icon=":material/upload_file:"),
    st.Page("pages/2_feature_extraction.py", title="Feature extraction", icon=":material/memory:"),
    st.Page("pages/3_model_building.py", title="Model building", icon=":material/tune:"),
    st.Page("pages/4_evaluation.py", title="Evaluation", icon=":material/monitoring:"),
    st.Page("pages/5_model_registry.py", title="Model registry", icon=":material/inventory_2:"),
    st.Page("pages/6_patient_calculator.py", title="Patient calculator", icon=":material/calculate:"),
]

st.session_state.setdefault("cohort", None)
st.navigation(PAGES, position="sidebar").run()
