"""Cohort import: clinical table + images -> validated, split cohort in the store.

Public API (names resolved lazily from the module that implements them):

- reading: ``read_table``, ``sheet_names`` (clinical CSV / XLSX), ``read_manifest``,
  ``scan_folder`` (images), ``read_image``, ``read_mask`` (incl. DICOM series / SEG);
  content hashes are ``hccdash.digest.sha256_path``;
- mapping: ``guess_mapping``, ``remap``, ``ColumnMapping``, ``VariableSpec``,
  ``EventCoding``, ``parse_event_values``, ``variables_table``, ``with_variables_table``;
- import: ``validate_cohort``, ``import_cohort``, ``delete_cohort``, ``import_sample``,
  ``Report``, ``Problem``, ``ImportResult``;
- reading back: ``load_cohort``, ``list_cohorts``, ``load_report``, ``load_mapping``,
  ``units_and_labels`` (of the variables, for the model files saved from it), ``Cohort``; Table 1 is
  ``hccdash.cohort.table1.table1(cohort)`` (``table1_display`` for the screen;
  ``hccdash.cohort.table1_export`` prints it as journals do, with units and labels, and as Word). CSV downloads
  go through ``hccdash.spreadsheet.csv_text``.
"""

from __future__ import annotations

from hccdash.lazy import lazy_getattr

_EXPORTS: dict[str, str] = {
    "read_table": "tables",
    "sheet_names": "tables",
    "read_manifest": "manifest",
    "scan_folder": "manifest",
    "read_image": "images",
    "read_mask": "images",
    "guess_mapping": "mapping",
    "remap": "mapping",
    "ColumnMapping": "mapping",
    "VariableSpec": "mapping",
    "variables_table": "mapping",
    "with_variables_table": "mapping",
    "EventCoding": "events",
    "parse_event_values": "events",
    "validate_cohort": "importer",
    "import_cohort": "importer",
    "delete_cohort": "importer",
    "ImportResult": "importer",
    "import_sample": "sample_cohort",
    "Report": "validate",
    "Problem": "validate",
    "load_cohort": "load",
    "list_cohorts": "load",
    "load_report": "load",
    "load_mapping": "load",
    "units_and_labels": "load",
    "Cohort": "load",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())
