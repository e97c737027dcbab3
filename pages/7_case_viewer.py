"""Case viewer: one patient x phase x reader, every reader's outline, the pyradiomics view, the case's features."""

from __future__ import annotations

import json

import streamlit as st

from app_frame import in_app_frame
from hccdash.display import as_text
from hccdash.extraction.feature_sets import FeatureSet, case_outcome, cohort_feature_sets, feature_set_choices
from hccdash.extraction.matrices import cohort_images
from hccdash.extraction.params import ExtractionSpec, spec_from_settings
from hccdash.imaging.case_view import best_slice, load_case_view
from hccdash.imaging.prepared import PreparedCase, prepare_case
from hccdash.imaging.render import PLANES, PRESETS, READER_COLOURS, ROI_COLOUR, Overlay, Window, \
    percentile_window, plane_count, preset_window, render_slice
from hccdash.session import take_open_case
from page_deep import occlusion_section
from page_parts import pick_cohort

in_app_frame()

FREE = "Free window / level"

st.title("Case viewer")
st.caption("Any patient × phase × reader: the image with every reader's mask outline and their Dice, the image and "
           "ROI as pyradiomics sees them after the extraction settings, and the case's features or failure.")


@st.cache_resource(max_entries=6, show_spinner="Preparing the case as pyradiomics sees it…")
def prepared(image_path: str, mask_path: str, label: int, spec_json: str) -> PreparedCase | str:
    """The pyradiomics view (or why it cannot be made); shared by sessions, read-only."""
    try:
        return prepare_case(image_path, mask_path, label, ExtractionSpec.from_dict(json.loads(spec_json)))
    except (ValueError, RuntimeError, OSError) as exc:
        return " ".join(str(exc).split())


take_open_case(st.session_state)
cohort = pick_cohort("cv_cohort")
images = cohort_images(cohort)
if images.empty:
    st.info("This cohort has no images.")
    st.stop()

cols = st.columns(4)
patients = sorted(images["patient_id"].unique())
if st.session_state.get("cv_patient") not in patients:
    st.session_state["cv_patient"] = patients[0]
patient = cols[0].selectbox("Patient", patients, key="cv_patient")
phases = sorted(images.loc[images["patient_id"] == patient, "phase"].unique())
if st.session_state.get("cv_phase") not in phases:
    st.session_state["cv_phase"] = phases[0]
phase = cols[1].selectbox("Phase", phases, key="cv_phase")
readers = sorted(images.loc[(images["patient_id"] == patient) & (images["phase"] == phase), "reader"].unique())
if st.session_state.get("cv_reader") not in readers:
    st.session_state["cv_reader"] = readers[0]
reader = cols[2].selectbox("Reader (features, pyradiomics view)", readers, key="cv_reader")
from_extraction = st.session_state.get("cv_extraction")  # the Feature extraction page's current settings
chosen: FeatureSet = cols[3].selectbox(
    "Feature set (settings, label)",
    feature_set_choices(cohort_feature_sets(cohort), from_extraction and ExtractionSpec.from_dict(from_extraction["spec"]),
                        from_extraction and from_extraction["label"]),
    format_func=lambda s: s.title, key="cv_set",
)
spec = chosen.spec or spec_from_settings()

try:
    view = load_case_view(cohort_images(cohort, label=chosen.label), patient, phase)
except (ValueError, RuntimeError, OSError) as exc:
    st.error(as_text(f"The image cannot be shown: {' '.join(str(exc).split())}"))
    st.stop()
for name, problem in view.problems.items():
    st.warning(as_text(f"Reader {name}'s mask is not shown: {problem}"))
legend = ", ".join(f":{READER_COLOURS[i % len(READER_COLOURS)][1]}[reader {as_text(r)}]"
                   for i, r in enumerate(sorted(view.rois)))
agreement = view.agreement()
dice_text = "; ".join(f"Dice reader {as_text(a)} vs {as_text(b)}: **{d:.3f}**" for a, b, d in agreement.itertuples(index=False))
st.markdown(f"Outlines: {legend}" + (f". {dice_text}" if dice_text else "") + f". Pyradiomics ROI: :{ROI_COLOUR[1]}[{ROI_COLOUR[1]}].")
row = images[(images["patient_id"] == patient) & (images["phase"] == phase) & (images["reader"] == reader)].iloc[0]
label = chosen.label or int(row["label"])
view_prepared = prepared(str(row["image_path"]), str(row["mask_path"]), label, json.dumps(spec.to_dict()))


@st.fragment
def slices(view, view_prepared, normalised: bool) -> None:
    """Plane, window and slice: only this part reruns when they move (the features beside it do not)."""
    top = st.columns([2, 2, 1, 1])
    plane = top[0].radio("Plane", PLANES, horizontal=True, key="cv_plane")
    preset = top[1].selectbox("Window", [*PRESETS, FREE], key="cv_window")
    base = view.window(preset) if preset != FREE else Window(400.0, 40.0)
    width = top[2].number_input("Width", min_value=1.0, value=float(base.width), key="cv_width", disabled=preset != FREE)
    level = top[3].number_input("Level", value=float(base.level), key="cv_level", disabled=preset != FREE)
    window = Window(width, level) if preset == FREE else base
    count = plane_count(view.volume.shape, plane)
    start = view.start_slice(plane, reader)
    index = st.slider("Slice", 0, count - 1, start, key=f"cv_slice_{patient}_{phase}_{plane}") if count > 1 else 0
    overlays = [Overlay(view.rois[r], READER_COLOURS[i % len(READER_COLOURS)][0], outside=i % 2 == 1)
                for i, r in enumerate(sorted(view.rois))]
    left, right = st.columns(2)
    left.image(render_slice(view.volume, plane, index, window, overlays),
               caption=f"{plane} slice {index + 1} of {count}", width="stretch")
    with right:
        if isinstance(view_prepared, str):
            st.error(as_text(f"pyradiomics refuses this case: {view_prepared}"))
            return
        axis = PLANES.index(plane)
        at = view_prepared.volume.index_at(axis, view.volume.position(axis, index))
        if at is None:
            st.info("This slice lies outside pyradiomics' crop (ROI + padding).")
        else:
            shown = percentile_window(view_prepared.volume.array) if normalised else window
            st.image(render_slice(view_prepared.volume, plane, at, shown, [Overlay(view_prepared.roi, ROI_COLOUR[0])]),
                     caption=f"as pyradiomics sees it: {plane} slice {at + 1} of "
                             f"{plane_count(view_prepared.shape, plane)}", width="stretch")
        st.caption(as_text("; ".join(view_prepared.steps) + f"; ROI {view_prepared.voxels} voxels"))


def features_panel() -> None:
    """The case's status under the chosen feature set: its failure message or its features."""
    outcome = case_outcome(cohort, patient, phase, reader, chosen.settings_hash, chosen.label)
    if outcome.status == "failed":
        st.error(as_text(f"Extraction failed: {outcome.error}"))
    elif outcome.status == "pending":
        st.info("Not extracted under this feature set yet (Feature extraction).")
    else:
        st.caption(f"{len(outcome.features)} features" + (f", {outcome.seconds:.1f} s" if outcome.seconds else ""))
        query = st.text_input("Filter features", key="cv_filter", placeholder="e.g. glcm")
        shown = outcome.features[outcome.features["feature"].str.contains(query, case=False, regex=False)] \
            if query else outcome.features
        st.dataframe(shown, hide_index=True, width="stretch", height=420)


images_column, features_column = st.columns([2, 1])
with images_column:
    slices(view, view_prepared, bool((spec.params.get("setting") or {}).get("normalize")))
with features_column:
    features_panel()
occlusion_section(cohort, view, reader, str(row["image_path"]), str(row["mask_path"]), label)
