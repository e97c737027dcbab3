"""Cohort import: clinical table, column mapping, images, split, validation, import, Table 1."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from app_frame import in_app_frame
from hccdash import overview
from hccdash.cohort import (
    EventCoding, delete_cohort, guess_mapping, import_cohort, list_cohorts, load_cohort, load_report, read_manifest,
    read_table, remap, scan_folder, sheet_names, validate_cohort, variables_table, with_variables_table,
)
from hccdash.cohort.events import distinct_codes
from hccdash.cohort.mapping import KINDS, guess_time_unit, leakage_columns, natural_levels
from hccdash.cohort.time_units import check_time_unit
from hccdash.cohort.split import METHODS as SPLIT_METHODS
from hccdash.display import as_text
from hccdash.imaging.qc import FLAGS, QCResult, cohort_qc
from hccdash.session import adopt_shared, open_case, publish_shared
from hccdash.settings import TIME_UNITS_IN_MONTHS, CohortSettings, QCSettings, SplitSettings
from hccdash.spreadsheet import blank_missing, csv_text
from hccdash.text_limits import MAX_LABEL, MAX_UNIT
from page_parts import table1_view

in_app_frame()

NONE = "(none)"
DEFAULTS, SPLIT, QC = CohortSettings(), SplitSettings(), QCSettings()
VIEWER = "pages/7_case_viewer.py"
RESET_KEYS = ("ci_id", "ci_time", "ci_unit", "ci_event", "ci_centre", "ci_name", "ci_last_import")
TABS = ("Stored cohorts and Table 1", "Import a cohort")


@st.cache_data(show_spinner=False)
def _table(source: str | bytes, filename: str, sheet: str | None, stamp: int):
    return read_table(source, filename=filename, sheet=sheet, max_columns=CohortSettings().max_columns)


@st.cache_data(show_spinner=False)
def _guessed(source: str | bytes, filename: str, sheet: str | None, stamp: int):
    return guess_mapping(_table(source, filename, sheet, stamp))  # seconds on a large table: once per file


@st.cache_data(show_spinner=False)
def _sheets(source: str | bytes, filename: str, stamp: int) -> list[str]:
    return sheet_names(source, filename, max_columns=CohortSettings().max_columns)


@st.cache_data(show_spinner="Quality control: reading every image once (remembered afterwards)…", max_entries=4)
def _qc(name: str, fingerprint: str, settings: QCSettings) -> QCResult:
    cohort = load_cohort(name)
    return cohort_qc(cohort.images, cohort.patients["centre"], settings)


def _source(label: str, key: str, types: list[str]) -> tuple[str | bytes | None, str, int]:
    """(path or bytes, file name, modification stamp) from an upload or a typed path."""
    mode = st.radio(f"{label} from", ["Upload", "Path"], key=f"{key}_mode", horizontal=True)
    if mode == "Upload":
        upload = st.file_uploader(label, type=types, key=f"{key}_upload")
        return (upload.getvalue(), upload.name, 0) if upload else (None, "", 0)
    path = st.text_input(f"{label} path", key=f"{key}_path").strip()
    if not path:
        return None, "", 0
    if not Path(path).expanduser().is_file():
        st.error(f"{as_text(path)} does not exist")
        return None, "", 0
    return path, Path(path).name, os.stat(Path(path).expanduser()).st_mtime_ns


def _images():
    """The image entries (manifest or folder scan) or None."""
    mode = st.radio("Images", ["None", "Manifest", "Folder scan"], key="ci_images", horizontal=True)
    if mode == "Manifest":
        source, name, _ = _source("Manifest (CSV/XLSX: patient_id, phase, image, mask[, reader][, label][, roi])", "ci_manifest",
                                  ["csv", "xlsx"])
        base = None
        if isinstance(source, bytes):
            base = st.text_input("Folder the manifest's relative paths start from", key="ci_manifest_base").strip()
            if not base:
                return None
        return read_manifest(source, base_dir=base, filename=name) if source is not None else None
    if mode == "Folder scan":
        folder = st.text_input("Image folder", key="ci_scan_folder").strip()
        cols = st.columns(2)
        image_pattern = cols[0].text_input("Image pattern", DEFAULTS.image_pattern, key="ci_image_pattern")
        mask_pattern = cols[1].text_input("Mask pattern", DEFAULTS.mask_pattern, key="ci_mask_pattern")
        st.caption("Fields: `{patient_id}` (no `/`), `{phase}` (letters, digits, `-`), `{reader}` (digits; none = 1), "
                   "`*` (anything but `/`); `/` separates folders; a matching folder is read as a DICOM series.")
        return scan_folder(folder, image_pattern, mask_pattern) if folder else None
    return None


def _split(centres: list[str]) -> SplitSettings:
    methods = list(SPLIT_METHODS)
    method = st.radio("Split", methods, index=methods.index(SPLIT.method), key="ci_split", horizontal=True,
                      format_func=lambda m: "three cohorts" if m == "three" else m,
                      help="random: stratified by event; centre: external validation on the chosen centre(s); "
                           "three cohorts: training and internal validation at random within the other centres, "
                           "external validation on the chosen centre(s)")
    cols = st.columns(3)
    seed = cols[0].number_input("Seed", value=SPLIT.seed, step=1, key="ci_seed", disabled=method not in ("random", "three"))
    fraction = cols[1].slider("Training fraction", 0.5, 0.9, SPLIT.train_fraction, 0.05, key="ci_fraction",
                              disabled=method not in ("random", "three"))
    validation = cols[2].multiselect("External validation centre(s)" if method == "three" else "Validation centre(s)",
                                     centres, key="ci_validation_centres", disabled=method not in ("centre", "three"))
    return SplitSettings(method=method, seed=int(seed), train_fraction=float(fraction), validation_centres=tuple(validation))


def _show_report(report, key: str) -> None:
    st.write(f"**{len(report.errors)} error(s)**, {len(report.warnings)} warning(s): "
             + ("import refused." if report.errors else "import allowed."))
    if report.problems:
        frame = report.to_frame()
        st.dataframe(blank_missing(frame), hide_index=True, width="stretch")
        st.download_button("Download report (CSV)", csv_text(frame), "validation_report.csv", "text/csv", key=key)


def _use_unit(unit: str) -> None:
    st.session_state["ci_unit"] = unit


def _time_unit_check(table, time_col: str, time_unit: str, guessed) -> None:
    """The follow-up read in the chosen unit; a warning with a one-click fix when it is implausible."""
    check = check_time_unit(table[time_col], time_unit, time_col)
    if check is None:
        return
    if check.plausible:
        from_values = time_unit == guessed.time_unit != guess_time_unit(time_col)
        st.caption(as_text(f"{time_col} read as {time_unit}: {check.chosen.describe()}"
                           + (" (unit guessed from the values: the name does not say)" if from_values else "") + "."))
        return
    st.warning(as_text(check.message), icon=":material/schedule:")
    if check.proposed is not None:
        st.button(f"Use {check.proposed.unit}", key="ci_use_unit", on_click=_use_unit, args=(check.proposed.unit,))


def _leakage(mapping) -> None:
    """Name the columns measured after baseline: chosen ones warned, the others said to be left out."""
    chosen, held = leakage_columns(mapping)
    if chosen:
        st.warning(as_text(f"Measured after baseline but chosen as predictor(s): {', '.join(chosen)}. A model using "
                           "them predicts with information not known at baseline (leakage) and looks better than it "
                           "is; untick them unless they were measured at baseline."), icon=":material/warning:")
    if held:
        st.caption(as_text(f"Not preselected as predictors, measured after baseline (follow-up, treatment response): "
                           f"{', '.join(held)}."))


def import_section() -> None:
    st.subheader("1. Clinical table")
    source, filename, stamp = _source("Clinical table (CSV/XLSX)", "ci_clinical", ["csv", "xlsx", "xlsm"])
    if source is None:
        st.info("Upload a clinical table or give its path.")
        return
    try:
        sheets = _sheets(source, filename, stamp)
        sheet = st.selectbox("Sheet", sheets, key="ci_sheet") if sheets else None
        table = _table(source, filename, sheet, stamp)
    except ValueError as exc:
        st.error(as_text(exc))
        return
    with st.expander(f"{as_text(filename)}: {len(table)} rows, {len(table.columns)} columns"):
        st.dataframe(table.head(50), width="stretch")

    signature = (filename, tuple(table.columns))
    if st.session_state.get("ci_signature") != signature:  # a new table: forget the old table's mapping and result
        for key in RESET_KEYS:
            st.session_state.pop(key, None)
        st.session_state["ci_signature"] = signature
    guessed = _guessed(source, filename, sheet, stamp)
    columns = list(table.columns)

    st.subheader("2. Column mapping")
    cols = st.columns(5)
    id_col = cols[0].selectbox("Patient id", columns, index=columns.index(guessed.id_col), key="ci_id")
    time_col = cols[1].selectbox("Time", columns, index=columns.index(guessed.time_col), key="ci_time")
    units = list(TIME_UNITS_IN_MONTHS)
    time_unit = cols[2].selectbox("Time unit", units, index=units.index(guessed.time_unit), key="ci_unit")
    event_col = cols[3].selectbox("Event", columns, index=columns.index(guessed.event_col), key="ci_event")
    centre_options = [NONE, *columns]
    centre = cols[4].selectbox("Centre", centre_options, index=centre_options.index(guessed.centre_col or NONE),
                               key="ci_centre")
    centre_col = None if centre == NONE else centre
    _time_unit_check(table, time_col, time_unit, guessed)
    try:
        mapping = remap(table, guessed, id_col=id_col, time_col=time_col, time_unit=time_unit, event_col=event_col,
                        centre_col=centre_col)
    except ValueError as exc:
        st.error(as_text(exc))
        return
    codes = distinct_codes(table[event_col])
    coding = mapping.event_coding
    cols = st.columns(2)
    event_codes = cols[0].multiselect("Codes meaning event (recurrence)", codes, key=f"ci_event_codes_{event_col}",
                                      default=[c for c in (coding.event if coding else ()) if c in codes])
    censor_codes = cols[1].multiselect("Codes meaning censored", codes, key=f"ci_censor_codes_{event_col}",
                                       default=[c for c in (coding.censor if coding else ()) if c in codes])
    try:
        coding = EventCoding(tuple(event_codes), tuple(censor_codes))
    except ValueError as exc:
        st.warning(as_text(exc))
        coding = None
    st.caption("Variables: choose the predictors and their type; order the levels of ordinal ones (separated by |); "
               "give numeric ones a unit (e.g. ng/mL), shown with the models saved from this cohort.")
    edited = st.data_editor(
        variables_table(mapping),
        key=f"ci_variables_{id_col}_{time_col}_{event_col}_{centre_col}",
        hide_index=True, width="stretch", disabled=["name"],
        column_config={
            "kind": st.column_config.SelectboxColumn("kind", options=list(KINDS), required=True),
            "predictor": st.column_config.CheckboxColumn("predictor"),
            "levels": st.column_config.TextColumn("levels (in order, | between)"),
            "unit": st.column_config.TextColumn("unit", max_chars=MAX_UNIT),
            "label": st.column_config.TextColumn("label (optional)", max_chars=MAX_LABEL),
        },
    )
    try:
        mapping = with_variables_table(remap(table, mapping, event_coding=coding), edited)
    except ValueError as exc:
        st.error(as_text(exc))
        return
    _leakage(mapping)

    st.subheader("3. Images")
    try:
        entries = _images()
    except (ValueError, FileNotFoundError) as exc:
        st.error(as_text(exc))
        return
    if entries is not None:
        st.caption(f"{len(entries)} image rows found.")
    cols = st.columns(2)
    label = cols[0].number_input("Mask label (0 = automatic: label 1 if present, else the only / largest)",
                                 min_value=0, value=0, step=1, key="ci_label")
    roi = cols[1].text_input("ROI name of RTSTRUCT masks (a manifest's roi column overrides it)", key="ci_roi",
                             help="A DICOM RTSTRUCT mask holds named ROIs: the one named here is rasterised onto its "
                                  "series; a missing or wrong name is refused with the RTSTRUCT's list of ROIs.")

    st.subheader("4. Split")
    centres = list(natural_levels(table[centre_col])) if centre_col else []
    split = _split(centres)

    st.subheader("5. Validate and import")
    cols = st.columns([2, 1])
    name = cols[0].text_input("Cohort name", value=Path(filename).stem, key="ci_name")
    replace = cols[1].checkbox("Replace a stored cohort of this name", key="ci_replace")
    cols = st.columns(2)
    validate, do_import = cols[0].button("Validate", key="ci_validate"), cols[1].button("Import", type="primary", key="ci_import")
    options = dict(images=entries, split=split, label=int(label) or None, source=filename, roi=roi.strip() or None)
    if validate:
        with st.status("Validating ...", expanded=False) as status:
            bar = st.progress(0.0)
            result = validate_cohort(table, mapping, progress=lambda d, t, m: bar.progress(d / max(t, 1), m), **options)
            status.update(label=f"Validated: {result.n_patients} patients, {result.n_events} events, "
                          f"{len(result.images)} usable images", state="complete" if result.report.ok else "error")
        _show_report(result.report, "ci_report_download")
    if do_import:
        with st.status("Importing ...", expanded=True) as status:
            bar = st.progress(0.0)
            try:
                result = import_cohort(name, table, mapping, replace=replace,
                                       progress=lambda d, t, m: bar.progress(d / max(t, 1), m), **options)
            except ValueError as exc:
                status.update(label=as_text(exc), state="error")
                return
            status.update(label=as_text(result.summary()), state="complete" if result.ok else "error")
        st.session_state["ci_last_import"] = result
        if result.ok:  # show the new cohort and its Table 1: select it and open the stored-cohorts tab
            st.session_state["cohort"] = result.name
            st.session_state["ci_show_stored"] = True
            st.rerun()
    last = st.session_state.get("ci_last_import")
    if last is not None:
        if not last.ok:  # a successful import is announced above its Table 1
            st.error(as_text(last.summary()))
        _show_report(last.report, "ci_import_report_download")


def cohorts_section() -> None:
    summary = overview.cohort_summary()
    if summary.empty:
        st.info("No cohort stored yet.")
        return
    st.dataframe(summary, hide_index=True, width="stretch")
    st.download_button("Download list (CSV)", csv_text(summary), "cohorts.csv", "text/csv", key="ci_list_csv")
    names = list_cohorts()
    adopt_shared(st.session_state, "ci_selected", names)
    name = st.selectbox("Cohort", names, key="ci_selected")
    publish_shared(st.session_state, "ci_selected")
    cohort = load_cohort(name)
    last = st.session_state.get("ci_last_import")
    if last is not None and last.ok and last.name == name:
        st.success(as_text(last.summary()))
    st.subheader(f"Table 1: {as_text(name)}")
    st.caption("Continuous: mean (SD) and Welch t-test when both groups pass Shapiro-Wilk (p > 0.05), else median [IQR] "
               "and Mann-Whitney U. Categorical: n (%) and chi-squared (Yates for 2 x 2), or Fisher's exact test when "
               "an expected count is below 5 (Monte Carlo p for tables larger than 2 x 2).")
    table1_view(name, cohort.fingerprint, "ci_table1", height=720)
    images_section(name, cohort)
    with st.expander("Import report"):
        _show_report(load_report(name), "ci_stored_report_csv")
    with st.expander("Delete this cohort"):
        confirm = st.checkbox(f"Yes, delete '{as_text(name)}' with its patients, variables and images",
                              key="ci_confirm_delete")
        if st.button("Delete", disabled=not confirm, key="ci_delete"):
            delete_cohort(name)
            st.session_state["cohort"] = None
            st.rerun()


def _open_in_viewer(name: str, row) -> None:
    open_case(st.session_state, name, row["patient_id"], row["phase"], row["reader"])
    st.switch_page(VIEWER)


def images_section(name: str, cohort) -> None:
    """The cohort's images (with QC when asked): click a row to open it in the Case viewer."""
    st.subheader("Images")
    if cohort.images.empty:
        st.caption("This cohort has no images.")
        return
    run_qc = st.toggle("Quality control (spacing, intensities, masks, reader Dice; each image is read once)",
                       key="ci_qc")
    table = cohort.images[["patient_id", "phase", "reader", "label", "image_path", "mask_path"]]
    if run_qc:
        with st.expander("QC thresholds"):
            cols = st.columns(5)
            settings = QCSettings(
                modality=cols[0].selectbox("Modality of non-DICOM images", ["CT", "MR"], key="ci_qc_modality"),
                min_dice=cols[1].number_input("Lowest reader Dice", 0.0, 1.0, QC.min_dice, 0.05, key="ci_qc_dice"),
                spacing_ratio=cols[2].number_input("Spacing ratio to the median", 1.01, 10.0, QC.spacing_ratio, 0.1,
                                                   key="ci_qc_spacing"),
                volume_z=cols[3].number_input("Mask volume robust z", 0.5, 20.0, QC.volume_z, 0.5, key="ci_qc_volume"),
                ct_max_hu=cols[4].number_input("Highest CT value (HU)", 100.0, 100000.0, QC.ct_max_hu, 100.0,
                                               key="ci_qc_max_hu"),
            )
        result = _qc(name, cohort.fingerprint, settings)
        flagged = int((result.table["n_flags"] > 0).sum())
        st.caption(f"{len(result.table)} images, {flagged} flagged. Sort by a flag column (click its header); "
                   "click a row to open that case in the Case viewer.")
        st.dataframe(result.centres, hide_index=True, width="stretch")
        table = result.table
        st.download_button("Download QC (CSV)", csv_text(table), f"qc_{name}.csv", "text/csv", key="ci_qc_csv")
    else:
        st.caption("Click a row to open that case in the Case viewer.")
    config = {flag: st.column_config.CheckboxColumn(flag, help=meaning) for flag, meaning in FLAGS.items()}
    event = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                         key="ci_images_table", column_config=config)
    if event.selection.rows:
        _open_in_viewer(name, table.iloc[event.selection.rows[0]])
    cols = st.columns([3, 1])
    order = table.sort_values("n_flags", ascending=False, kind="stable") if "n_flags" in table else table
    choices = [f"{r.patient_id} · {r.phase} · reader {r.reader}" for r in order.itertuples(index=False)]
    chosen = cols[0].selectbox("Case", range(len(choices)), format_func=choices.__getitem__, key="ci_view_case",
                               label_visibility="collapsed")
    if cols[1].button("Open in the Case viewer", key="ci_view"):
        _open_in_viewer(name, order.iloc[chosen])


st.title("Cohort import")
if st.session_state.pop("ci_show_stored", False):  # set by a successful import, before the tabs exist
    st.session_state["ci_tab"] = TABS[0]
cohorts_tab, import_tab = st.tabs(TABS, key="ci_tab", on_change="rerun")
with cohorts_tab:
    cohorts_section()
with import_tab:
    import_section()
