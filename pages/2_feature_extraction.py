"""Feature extraction: settings, background job with live progress, failures, matrix, import/export."""

from __future__ import annotations

import os

import streamlit as st

from app_frame import in_app_frame
from hccdash import jobs, overview, paths
from hccdash.display import as_text
from hccdash.extraction import features_io
from hccdash.extraction.job import start_extraction
from hccdash.extraction.params import (
    INTERPOLATORS,
    ROI_CHOICES,
    available_feature_classes,
    available_image_types,
    parse_numbers,
    spec_from_settings,
    spec_from_yaml,
    to_yaml,
)
from hccdash.extraction.matrices import feature_matrix
from hccdash.extraction.sample_features import ensure_sample_features
from hccdash.extraction.status import cohort_extraction
from hccdash.settings import ExtractionSettings
from page_deep import deep_features_section
from page_parts import extraction_job_panel, failures_table

in_app_frame()

POLL_SECONDS = 2.0
CORES = os.cpu_count() or 1

st.title("Feature extraction")
st.caption(
    "pyradiomics features per patient × phase × reader, computed in a background process and cached by file "
    "content and settings: re-running an unchanged cohort computes nothing."
)

if not st.session_state.get("fx_started_up"):
    restarted = jobs.resume_stale_jobs()
    loaded = ensure_sample_features()
    st.session_state["fx_started_up"] = True
    if restarted:
        st.toast(f"Resumed interrupted job(s): {', '.join(restarted)}")
    if loaded:
        st.toast(f"Loaded {loaded} shipped sample cases into the cache")

summary = overview.cohort_summary()
cohorts = summary["name"].tolist()
if not cohorts:
    st.info("No cohort yet: import one on **Cohort import** first.")
    st.stop()
current = st.session_state.get("cohort")
cohort = st.selectbox("Cohort", cohorts, index=cohorts.index(current) if current in cohorts else 0, key="fx_cohort")
st.session_state["cohort"] = cohort

# ---- settings -------------------------------------------------------------------------------
defaults = ExtractionSettings()
spec, spec_error = None, None
with st.expander("Settings", expanded=False):
    mode = st.radio("Parameters from", ["hccdash settings", "my pyradiomics YAML"], horizontal=True, key="fx_mode")
    left, right = st.columns(2)
    n4 = left.checkbox("N4 bias-field correction (MRI)", value=defaults.n4_bias_correction, key="fx_n4")
    roi = right.selectbox(
        "ROI", ROI_CHOICES, index=ROI_CHOICES.index(defaults.roi), key="fx_roi",
        format_func={"3d": "3D mask", "2d": "largest axial cross-section (2D)"}.get,
    )
    label = left.number_input(
        "Mask label (0 = each image's label chosen at import)", min_value=0, value=0, step=1, key="fx_label",
        help="Another label of multi-label masks, e.g. the whole liver: its features are stored as a separate "
             "feature set beside the tumour's.",
    ) or None
    try:
        if mode == "hccdash settings":
            c1, c2, c3 = st.columns(3)
            resample = c1.checkbox("Resample", value=defaults.resampled_spacing is not None, key="fx_resample")
            spacing_text = c1.text_input(
                "Voxel spacing x, y, z (mm)", ", ".join(str(v) for v in defaults.resampled_spacing or (1, 1, 1)),
                key="fx_spacing", disabled=not resample,
            )
            interpolator = c1.selectbox("Interpolator", INTERPOLATORS, index=INTERPOLATORS.index(defaults.interpolator),
                                        key="fx_interpolator")
            bin_width = c2.number_input("Bin width", min_value=0.001, value=float(defaults.bin_width), key="fx_bin")
            normalize = c2.checkbox("z-score normalisation (MRI)", value=defaults.normalize, key="fx_normalize")
            normalize_scale = c2.number_input("Normalise scale", min_value=0.001, value=float(defaults.normalize_scale),
                                              key="fx_scale", disabled=not normalize)
            pre_crop = c2.checkbox("Pre-crop (saves memory)", value=defaults.pre_crop, key="fx_precrop")
            image_types = c3.multiselect("Image types", available_image_types(), default=list(defaults.image_types),
                                         key="fx_types")
            sigma_text = c3.text_input("LoG sigma (mm)", ", ".join(str(v) for v in defaults.log_sigma), key="fx_sigma")
            classes = c3.multiselect("Feature classes", available_feature_classes(),
                                     default=list(defaults.feature_classes), key="fx_classes")
            spec = spec_from_settings(
                ExtractionSettings(
                    resampled_spacing=parse_numbers(spacing_text, "Voxel spacing") if resample else None,
                    interpolator=interpolator, bin_width=bin_width, normalize=normalize,
                    normalize_scale=normalize_scale, n4_bias_correction=n4, roi=roi,
                    image_types=tuple(image_types), log_sigma=parse_numbers(sigma_text, "LoG sigma"),
                    feature_classes=tuple(classes), pre_crop=pre_crop,
                )
            )
        else:
            upload = st.file_uploader("pyradiomics parameter file", type=["yaml", "yml"], key="fx_yaml")
            if upload is None:
                spec_error = "Upload a pyradiomics parameter YAML, or use hccdash settings."
            else:
                spec = spec_from_yaml(upload.getvalue().decode(), n4_bias_correction=n4, roi=roi)
    except ValueError as exc:
        spec_error = str(exc)
    if spec is not None:
        st.caption(f"Settings hash `{spec.settings_hash[:12]}`")
        st.download_button("Download these parameters (YAML)", to_yaml(spec), "pyradiomics_params.yaml",
                           "application/x-yaml", key="fx_params_download")
if spec_error:
    st.error(as_text(spec_error))

# ---- start ----------------------------------------------------------------------------------
active = [j for j in jobs.list_jobs(kind="extraction", cohort=cohort) if j.active]
c1, c2, c3 = st.columns([1, 2, 1])
n_jobs = c1.number_input("Workers", min_value=1, max_value=max(CORES, 1) * 4, value=CORES, key="fx_workers")
scheduler = c2.text_input("Dask scheduler (optional)", placeholder="tcp://host:8786", key="fx_scheduler")
retry = c3.checkbox("Retry failed cases", key="fx_retry")
has_images = bool(summary.set_index("name").at[cohort, "images"])
if not has_images:
    st.info(f"Cohort '{as_text(cohort)}' has no images: add an image manifest on **Cohort import**, or import a "
            "feature table below. Its clinical models need no features (**Model building**).")
if st.button("Start extraction", type="primary", disabled=spec is None or bool(active) or not has_images,
             key="fx_start"):
    try:
        job_id = start_extraction(cohort, spec, n_jobs=int(n_jobs), scheduler=scheduler.strip() or None,
                                  retry_failed=retry, label=label)
        st.toast(f"Started {job_id}")
    except ValueError as exc:
        st.error(as_text(exc))
if active:
    st.caption("An extraction of this cohort is running; start another when it ends or after cancelling it.")


@st.cache_data(max_entries=8, show_spinner="Reading the feature matrix…")
def cached_matrix(cohort: str, settings_hash: str, reader: str, label: int | None, version: tuple[int, int],
                  store_path: str):
    """The extracted matrix; ``version`` (done, failed counts) changes whenever cases are added, ``store_path`` keys it per store."""
    return feature_matrix(cohort, settings_hash, reader=reader, label=label)


st.fragment(extraction_job_panel, run_every=POLL_SECONDS)(cohort, "extraction", "fx")  # re-read every few seconds

# ---- state of the cohort under these settings ----------------------------------------------
if spec is not None:
    state = cohort_extraction(cohort, spec, label=label)
    st.session_state["cv_extraction"] = {"spec": spec.to_dict(), "label": label}  # the Case viewer offers it
    st.subheader("This cohort under the settings above")
    st.page_link("pages/7_case_viewer.py", label="Look at any case with these settings in the Case viewer",
                 icon=":material/radiology:")

    def cohort_counts() -> None:
        """The cohort's cases by status under these settings (a fragment polling while a job runs)."""
        now = cohort_extraction(cohort, spec, label=label)
        cols = st.columns(4)
        cols[0].metric("Cases", now.n_cases, help="patient × phase × reader")
        cols[1].metric("Extracted", now.n_done)
        cols[2].metric("Failed", now.n_failed)
        cols[3].metric("Not yet extracted", now.n_pending)

    running = any(j.active for j in jobs.list_jobs(kind="extraction", cohort=cohort))  # (one may have just started)
    st.fragment(cohort_counts, run_every=POLL_SECONDS if running else None)()

    if not state.failures.empty:
        st.subheader("Failed cases")
        failures_table(state.failures, cohort, "fx_failures_table")
        left, right = st.columns(2)
        left.download_button("Download failures (CSV)", features_io.to_csv_bytes(state.failures, index=False),
                             "extraction_failures.csv", "text/csv", key="fx_failures_download")
        if right.button("Retry failed cases", disabled=bool(active), key="fx_retry_failed"):
            job_id = start_extraction(cohort, spec, n_jobs=int(n_jobs), scheduler=scheduler.strip() or None,
                                      retry_failed=True, case_keys=state.failures["case_key"].tolist(), label=label)
            st.toast(f"Retrying {len(state.failures)} case(s): {job_id}")

    st.subheader("Feature matrix")
    sources = ["extracted (these settings)"] + features_io.imported_sources(cohort)
    c1, c2 = st.columns(2)
    source = c1.selectbox("Features", sources, key="fx_source")
    readers = state.readers or ("1",)
    reader = c2.selectbox("Reader", readers, key="fx_reader")
    if source == sources[0]:
        matrix = cached_matrix(cohort, spec.settings_hash, reader, label, (state.n_done, state.n_failed),
                               str(paths.store_path()))
    else:
        matrix = feature_matrix(cohort, reader=reader, source=source)
    if matrix.empty:
        st.info("No features yet for this cohort, reader and settings.")
    else:
        st.caption(f"{matrix.shape[0]} patients × {matrix.shape[1]} features (`phase.feature`)")
        st.dataframe(matrix, width="stretch")
        left, right = st.columns(2)
        left.download_button("Download matrix (CSV)", features_io.to_csv_bytes(matrix), f"{cohort}_features.csv",
                             "text/csv", key="fx_matrix_csv")
        right.download_button("Download matrix (Parquet)", features_io.to_parquet_bytes(matrix),
                              f"{cohort}_features.parquet", "application/octet-stream", key="fx_matrix_parquet")

deep_features_section(cohort, int(n_jobs), has_images)

# ---- import ---------------------------------------------------------------------------------
with st.expander("Import an external feature table"):
    st.caption(
        "pyradiomics batch CSV, a 3D Slicer SlicerRadiomics table, or any patient × feature CSV "
        "(columns `phase.feature` are split into phase and feature)."
    )
    upload = st.file_uploader("Feature table", type=["csv", "tsv", "txt", "parquet"], key="fx_import_file")
    c1, c2, c3, c4 = st.columns(4)
    kind = c1.selectbox("Format", features_io.KINDS, key="fx_import_kind")
    id_column = c2.text_input("Patient id column (optional)", key="fx_import_id")
    phase = c3.text_input("Phase (if the table has none)", key="fx_import_phase")
    import_reader = c4.text_input("Reader", value="1", key="fx_import_reader")
    uploaded_name = upload.name if upload else None
    if st.session_state.get("fx_import_named_after") != uploaded_name:  # a new file: its stem is the default name
        st.session_state["fx_import_named_after"] = uploaded_name
        st.session_state["fx_import_name"] = uploaded_name.rsplit(".", 1)[0] if uploaded_name else ""
    source_name = st.text_input("Name of this table", key="fx_import_name")
    if st.button("Import", disabled=upload is None, key="fx_import"):
        try:
            long = features_io.read_feature_table(
                upload, kind, id_column=id_column or None, phase=phase or None, reader=import_reader or "1",
                name=upload.name,
            )
            rows = features_io.store_imported(long, cohort, source_name)
            st.success(f"Imported {rows} values ({long['patient_id'].nunique()} patients) as '{as_text(source_name)}'.")
        except ValueError as exc:
            st.error(as_text(exc))

with st.expander("Extraction jobs"):
    table = jobs.jobs_table(jobs.list_jobs(kind="extraction", cohort=cohort))
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button("Download jobs (CSV)", features_io.to_csv_bytes(table, index=False), "extraction_jobs.csv",
                       "text/csv", key="fx_jobs_download")
