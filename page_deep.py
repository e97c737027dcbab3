"""Deep-feature sections of the pages: on Feature extraction, register a CNN (ONNX), see its facts,
extract; in the Case viewer, a case's occlusion-sensitivity map.

A top-level module beside :mod:`page_parts` (not in ``pages/``, where every file becomes a page;
not in ``hccdash/``, which never imports streamlit). It reads widgets and calls
:mod:`hccdash.deep`; text from users (names, paths, messages) is shown with ``as_text``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from hccdash import jobs
from hccdash.deep import DeepSettings, DeepSpec, NetworkError, get_network, list_networks
from hccdash.deep.demo import register_demo_network
from hccdash.deep.feature_sets import cohort_deep_sets
from hccdash.deep.job import KIND, start_deep_extraction
from hccdash.deep.occlusion import OcclusionMap, case_occlusion, map_window, occlusion_png
from hccdash.deep.network import DEFAULT_INPUT, IMAGENET_MEAN, IMAGENET_SD, MAX_INPUT, MIN_INPUT, open_input_size
from hccdash.deep.registered import register_network, register_network_bytes
from hccdash.deep.settings import MODALITIES, POOLINGS
from hccdash.display import as_text
from hccdash.extraction import features_io
from hccdash.extraction.matrices import feature_matrix
from hccdash.extraction.params import parse_numbers
from hccdash.extraction.case import CaseError
from hccdash.extraction.status import cohort_extraction
from hccdash.imaging.case_view import CaseView
from hccdash.deep.slices import slice_crops
from hccdash.imaging.render import READER_COLOURS, Overlay
from page_parts import extraction_job_panel, failures_table

POLL_SECONDS = 2.0


def register_form() -> None:
    """Upload (or give the path of) an ONNX file and register it."""
    left, right = st.columns(2)
    upload = left.file_uploader("ONNX file", type=["onnx"], key="fx_dl_upload")
    path = right.text_input("… or its path on this machine", key="fx_dl_path", placeholder="/models/densenet169.onnx")
    c1, c2, c3, c4 = st.columns(4)
    name = c1.text_input("Name (features: `dl.<name>.0000`, …)", key="fx_dl_name", placeholder="densenet169")
    node = c2.text_input("Feature node (empty: last global pooling)", key="fx_dl_node")
    mean = c3.text_input("Mean per channel", ", ".join(map(str, IMAGENET_MEAN)), key="fx_dl_mean")
    sd = c4.text_input("SD per channel", ", ".join(map(str, IMAGENET_SD)), key="fx_dl_sd")
    size = input_size_choice(upload, path.strip())
    if st.button("Register the demonstration network", key="fx_dl_demo",
                 help="A small CNN with fixed, untrained weights (features that mean nothing), to try the workflow"):
        st.success(as_text(f"Registered '{register_demo_network().name}'"))
    if st.button("Register network", disabled=upload is None and not path.strip(), key="fx_dl_register"):
        try:
            options = {"output_node": node.strip() or None, "mean": parse_numbers(mean, "Mean"),
                       "sd": parse_numbers(sd, "SD"), "input_size": size}
            if upload is not None:
                network = register_network_bytes(upload.getvalue(), name.strip(), upload.name, **options)
            else:
                network = register_network(path.strip(), name.strip(), **options)
            st.success(as_text(f"Registered '{network.name}': {network.n_features} features from node "
                               f"'{network.output_node}'"))
        except (ValueError, OSError) as exc:
            st.error(as_text(exc))


@st.cache_data(max_entries=8, show_spinner=False)
def _open_size(key: tuple, _source: str | bytes) -> bool:
    """:func:`open_input_size` of a file or upload, once per ``key`` (path and modification, or upload id)."""
    return open_input_size(_source)


def input_size_choice(upload: Any, path: str) -> tuple[int, int] | None:
    """The N x N input size chosen for a network whose graph leaves it open (a number input shown only
    then); None for a fixed-size network or no file."""
    if upload is not None:
        is_open = _open_size(("upload", upload.file_id, upload.size), upload.getvalue())
    elif path and Path(path).is_file():
        stat = Path(path).stat()
        is_open = _open_size(("path", path, stat.st_mtime_ns, stat.st_size), path)
    else:
        return None
    if not is_open:
        return None
    side = st.number_input("Image size (pixels, H = W): this network's graph leaves it open", MIN_INPUT, MAX_INPUT,
                           DEFAULT_INPUT, key="fx_dl_input_size",
                           help="The size the network was trained on (224 for most ImageNet CNNs); each ROI crop "
                                "is resized to it. It is recorded with the network.")
    return int(side), int(side)


def settings_form() -> DeepSettings | None:
    """The deep settings the widgets ask for (None, with the error shown, when they are bad)."""
    defaults = DeepSettings()
    c1, c2, c3, c4 = st.columns(4)
    margin = c1.number_input("Margin (pixels)", 0, 200, defaults.margin, key="fx_dl_margin")
    min_area = c2.number_input("Minimum ROI pixels per slice", 0, 100000, defaults.min_area, key="fx_dl_min_area")
    pooling = c3.selectbox("Case features", POOLINGS, key="fx_dl_pooling",
                           format_func={"mean": "mean of slices", "largest": "largest ROI slice"}.get)
    modality = c4.selectbox("Intensity", MODALITIES, key="fx_dl_modality",
                            format_func={"CT": "CT window", "MR": "MR percentiles"}.get)
    c1, c2 = st.columns(2)
    try:
        if modality == "CT":
            window = c1.text_input("CT window: width, level (HU)", ", ".join(f"{v:g}" for v in defaults.ct_window),
                                   key="fx_dl_window")
            return DeepSettings(margin=int(margin), min_area=int(min_area), pooling=pooling, modality="CT",
                                ct_window=parse_numbers(window, "CT window"))
        percentiles = c1.text_input("MR percentiles: low, high", ", ".join(f"{v:g}" for v in defaults.mr_percentiles),
                                    key="fx_dl_percentiles")
        return DeepSettings(margin=int(margin), min_area=int(min_area), pooling=pooling, modality="MR",
                            mr_percentiles=parse_numbers(percentiles, "MR percentiles"))
    except (ValueError, TypeError) as exc:
        st.error(as_text(exc))
        return None


def deep_features_section(cohort: str, n_jobs: int, has_images: bool) -> None:
    """Register networks, see their facts, start and follow the cohort's deep extraction."""
    with st.expander("Deep features (a CNN you bring as an ONNX file)"):
        st.caption("The ROI is cropped slice by slice (bounding box + margin), normalised, resized to the network's "
                   "input and run with onnxruntime on this machine (no download). Slice features are pooled per case "
                   "and stored like radiomics features, as `dl.<network>.<NNNN>`. Fine-tuning is not done here.")
        register_form()
        networks = list_networks()
        if networks.empty:
            st.info("No network registered yet.")
            return
        st.dataframe(networks, hide_index=True, width="stretch")
        name = st.selectbox("Network", networks["name"].tolist(), key="fx_dl_network")
        settings = settings_form()
        try:
            spec = DeepSpec(get_network(name, check=False), settings) if settings is not None else None
        except NetworkError as exc:  # the file is checked (hashed) when a job starts and when it runs
            st.error(as_text(exc))
            spec = None
        active = any(j.active for j in jobs.list_jobs(kind=KIND, cohort=cohort))
        if st.button("Start deep extraction", type="primary", key="fx_dl_start",
                     disabled=spec is None or active or not has_images):
            try:
                st.toast(f"Started {start_deep_extraction(cohort, spec, n_jobs=n_jobs)}")
                active = True
            except ValueError as exc:
                st.error(as_text(exc))
        st.fragment(extraction_job_panel, run_every=POLL_SECONDS if active else None)(
            cohort, KIND, "fx_dl", "deep extraction")
        if spec is not None:
            deep_state(cohort, spec)


def deep_state(cohort: str, spec: DeepSpec) -> None:
    """The cohort's cases under ``spec``: counts, failures, and the matrix as CSV."""
    state = cohort_extraction(cohort, spec)
    st.caption(f"Under these settings ({spec.settings_hash[:8]}): {state.n_cases} cases, {state.n_done} extracted, "
               f"{state.n_failed} failed, {state.n_pending} not yet extracted.")
    if not state.failures.empty:
        failures_table(state.failures, cohort, "fx_dl_failures")
    if state.n_done:
        matrix = feature_matrix(cohort, spec)
        st.download_button(f"Deep feature matrix (CSV, {matrix.shape[0]} × {matrix.shape[1]})",
                           features_io.to_csv_bytes(matrix), f"{cohort}_deep_{spec.network.name}.csv", "text/csv",
                           key="fx_dl_matrix_csv")


def deep_specs(cohort: str) -> list[DeepSpec]:
    """The cohort's extracted deep feature sets' specs, then each registered network with default settings."""
    specs = {s.spec.settings_hash: s.spec for s in cohort_deep_sets(cohort)}
    for name in list_networks()["name"]:
        try:
            spec = DeepSpec(get_network(name, check=False), DeepSettings())  # the file is checked when it is run
        except NetworkError:
            continue
        specs.setdefault(spec.settings_hash, spec)
    return list(specs.values())


@st.cache_data(max_entries=16, show_spinner="Running the network over the slice with patches hidden…")
def cached_occlusion(image_path: str, mask_path: str, label: int, z: int, spec_json: str) -> OcclusionMap | str:
    """The occlusion map of a case's slice (or why it cannot be made)."""
    try:
        return case_occlusion(image_path, mask_path, label, z, DeepSpec.from_dict(json.loads(spec_json)))
    except (ValueError, OSError) as exc:
        return " ".join(str(exc).split())


def occlusion_section(cohort: str, view: CaseView, reader: str, image_path: str, mask_path: str, label: int) -> None:
    """A registered network's occlusion-sensitivity map of the reader's ROI, on a slice the user picks."""
    with st.expander("Occlusion sensitivity (deep features)"):
        st.caption("Which part of the slice the network's features depend on: each patch of the network's input is "
                   "hidden in turn (forward passes only, a stand-in for Grad-CAM, which needs gradients) and the change "
                   "of the features is shown, brighter where it is larger.")
        specs = deep_specs(cohort)
        if not specs:
            st.info("Register a network on **Feature extraction** (Deep features) first.")
            return
        spec = st.selectbox("Network and settings", specs, format_func=lambda s: s.title, key="cv_dl_spec")
        roi = view.rois.get(reader)
        if roi is None:
            st.info(as_text(f"Reader {reader}'s mask is not shown, so it has no map."))
            return
        try:
            crops = slice_crops(roi, spec.settings)
        except CaseError as exc:
            st.info(as_text(exc))
            return
        largest = max(crops, key=lambda c: c.area).z
        z = st.select_slider("Axial slice", [c.z for c in crops], value=largest, key=f"cv_dl_slice_{view.patient_id}")
        if not st.toggle("Show the map", key="cv_dl_show"):
            return
        result = cached_occlusion(image_path, mask_path, label, int(z), json.dumps(spec.to_dict()))
        if isinstance(result, str):
            st.error(as_text(result))
            return
        picture = occlusion_png(view.volume, result, map_window(view.volume, spec.settings),
                                [Overlay(roi, READER_COLOURS[0][0])])
        st.image(picture, caption=f"axial slice {result.z + 1}: occlusion sensitivity (peak change {result.peak:.3g}, "
                                  f"{result.n_passes} forward passes)", width="stretch")
        st.download_button("PNG", picture, f"occlusion_{view.patient_id}_{view.phase}_{result.z + 1}.png", "image/png",
                           key="cv_dl_png")
