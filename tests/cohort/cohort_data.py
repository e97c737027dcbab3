"""Test data builders for the cohort tests: tiny cohorts, NIfTI volumes, DICOM series and SEG, store dumps."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import highdicom as hd
import numpy as np
import pandas as pd
import pydicom
import SimpleITK as sitk
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from hccdash.store import Store

PHASES = ("arterial", "portal")
SPACING = (0.7, 0.7, 5.0)
SHAPE = (4, 8, 8)  # z, y, x


def write_volume(path: Path, array: np.ndarray, spacing=SPACING, origin=(0.0, 0.0, 0.0)) -> Path:
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(image, str(path))
    return path


def cube_mask(label: int = 1) -> np.ndarray:
    mask = np.zeros(SHAPE, np.uint8)
    mask[1:3, 2:6, 2:6] = label
    return mask


def make_cohort(folder: Path, n: int = 24, seed: int = 0, repeat: int = 4) -> dict[str, Path]:
    """A sample-like cohort: clinical.csv, images/*.nii.gz, manifest.csv (paths relative)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"P{i:03d}" for i in range(1, n + 1)]
    clinical = pd.DataFrame({
        "patient_id": ids,
        "centre": ["A" if i % 3 else "B" for i in range(n)],
        "age": rng.normal(60, 8, n).round(0).astype(int),
        "sex": rng.choice(["M", "F"], n),
        "AFP": np.exp(rng.normal(3, 2, n)).round(1),
        "BCLC": rng.choice(["0", "A", "B"], n),
        "Child-Pugh": rng.choice(["A", "B"], n),
        "tumour_number": rng.integers(1, 4, n),
        "rfs_months": rng.uniform(1, 60, n).round(2),
        "recurrence": [1, 0] * (n // 2),
    })
    clinical.to_csv(folder / "clinical.csv", index=False)
    rows = []
    for k, pid in enumerate(ids):
        for phase in PHASES:
            image = write_volume(folder / "images" / f"{pid}_{phase}.nii.gz",
                                 rng.normal(50, 10, SHAPE).astype(np.int16))
            mask = write_volume(folder / "images" / f"{pid}_{phase}_mask.nii.gz", cube_mask())
            rows.append((pid, phase, image, mask, "1"))
            if k < repeat:
                mask2 = cube_mask()
                mask2[1, 2, 2] = 0
                rows.append((pid, phase, image,
                             write_volume(folder / "images" / f"{pid}_{phase}_mask2.nii.gz", mask2), "2"))
    manifest = pd.DataFrame(
        [(pid, phase, img.relative_to(folder).as_posix(), msk.relative_to(folder).as_posix(), r)
         for pid, phase, img, msk, r in rows],
        columns=["patient_id", "phase", "image", "mask", "reader"],
    )
    manifest.to_csv(folder / "manifest.csv", index=False)
    return {"folder": folder, "clinical": folder / "clinical.csv", "manifest": folder / "manifest.csv"}


def write_ct_series(folder: Path, array: np.ndarray, spacing=(0.7, 0.7, 5.0), origin=(-10.0, -20.0, 30.0),
                    extra: dict | None = None) -> list[Dataset]:
    """A CT series (one file per z plane of ``array``) written with pydicom; returns the datasets.
    ``extra``: more attributes (keyword -> value) of every file."""
    folder.mkdir(parents=True, exist_ok=True)
    shared = {
        "SOPClassUID": CTImageStorage, "StudyInstanceUID": generate_uid(), "SeriesInstanceUID": generate_uid(),
        "FrameOfReferenceUID": generate_uid(), "PatientID": "P1", "PatientName": "Test^P1", "PatientBirthDate": "",
        "PatientSex": "O", "StudyDate": "20250101", "StudyTime": "120000", "AccessionNumber": "",
        "ReferringPhysicianName": "", "StudyID": "1", "SeriesNumber": 1, "Modality": "CT", "Manufacturer": "test",
        "ImageType": ["ORIGINAL", "PRIMARY", "AXIAL"], "ImageOrientationPatient": [1, 0, 0, 0, 1, 0],
        "PixelSpacing": [spacing[1], spacing[0]], "SliceThickness": spacing[2], "Rows": array.shape[1],
        "Columns": array.shape[2], "SamplesPerPixel": 1, "PhotometricInterpretation": "MONOCHROME2",
        "BitsAllocated": 16, "BitsStored": 16, "HighBit": 15, "PixelRepresentation": 1, "RescaleIntercept": 0,
        "RescaleSlope": 1, **(extra or {}),
    }
    datasets = []
    for k, plane in enumerate(array):
        ds = Dataset()
        for keyword, value in shared.items():
            setattr(ds, keyword, value)
        ds.SOPInstanceUID = generate_uid()
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [origin[0], origin[1], origin[2] + k * spacing[2]]
        ds.PixelData = plane.astype(np.int16).tobytes()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        pydicom.dcmwrite(folder / f"slice{k:03d}.dcm", ds, enforce_file_format=True)
        datasets.append(ds)
    return datasets


def write_seg(path: Path, datasets: list[Dataset], labels: np.ndarray) -> Path:
    """A binary DICOM-SEG (highdicom): one segment per non-zero label of a (z, y, x) label map,
    or per channel of a (z, y, x, k) stack of masks, which may overlap."""
    numbers = list(range(1, labels.shape[3] + 1)) if labels.ndim == 4 else [int(v) for v in np.unique(labels) if v]
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=k, segment_label=f"lesion {k}",
            segmented_property_category=hd.sr.CodedConcept("49755003", "SCT", "Morphologically Altered Structure"),
            segmented_property_type=hd.sr.CodedConcept("108369006", "SCT", "Neoplasm"),
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        )
        for k in numbers
    ]
    seg = hd.seg.Segmentation(
        source_images=datasets, pixel_array=labels.astype(np.uint8),
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY, segment_descriptions=descriptions,
        series_instance_uid=hd.UID(), series_number=2, sop_instance_uid=hd.UID(), instance_number=1,
        manufacturer="test", manufacturer_model_name="test", software_versions="0", device_serial_number="1",
    )
    seg.save_as(path)
    return path


RT_STRUCTURE_SET = "1.2.840.10008.5.1.4.1.1.481.3"


def write_rtstruct(path: Path, datasets: list[Dataset], rois: dict[str, list[np.ndarray]],
                   series_uid: str | None = None) -> Path:
    """An RTSTRUCT (pydicom) drawn on the CT series ``datasets`` (or naming ``series_uid`` instead):
    ``rois`` maps each ROI name to its closed planar contours, each an (n, 3) array of patient
    coordinates in mm; ROIs are numbered 1, 2, ... in order."""
    first = datasets[0]
    ds = Dataset()
    for keyword in ("StudyInstanceUID", "PatientID", "PatientName", "PatientBirthDate", "PatientSex", "StudyDate",
                    "StudyTime", "AccessionNumber", "ReferringPhysicianName", "StudyID"):
        setattr(ds, keyword, getattr(first, keyword))
    ds.SOPClassUID, ds.SOPInstanceUID, ds.SeriesInstanceUID = RT_STRUCTURE_SET, generate_uid(), generate_uid()
    ds.Modality, ds.SeriesNumber, ds.StructureSetLabel = "RTSTRUCT", 3, "test"
    ds.StructureSetDate, ds.StructureSetTime, ds.Manufacturer = "20250101", "120000", "test"
    series = Dataset()
    series.SeriesInstanceUID = series_uid or first.SeriesInstanceUID
    series.ContourImageSequence = [_reference(d) for d in datasets]
    study = Dataset()
    study.ReferencedSOPClassUID, study.ReferencedSOPInstanceUID = "1.2.840.10008.3.1.2.3.1", first.StudyInstanceUID
    study.RTReferencedSeriesSequence = [series]
    frame = Dataset()
    frame.FrameOfReferenceUID, frame.RTReferencedStudySequence = first.FrameOfReferenceUID, [study]
    ds.ReferencedFrameOfReferenceSequence = [frame]
    ds.StructureSetROISequence, ds.ROIContourSequence = [], []
    for number, (name, contours) in enumerate(rois.items(), start=1):
        roi = Dataset()
        roi.ROINumber, roi.ReferencedFrameOfReferenceUID = number, first.FrameOfReferenceUID
        roi.ROIName, roi.ROIGenerationAlgorithm = name, "MANUAL"
        ds.StructureSetROISequence.append(roi)
        item = Dataset()
        item.ReferencedROINumber, item.ROIDisplayColor = number, [255, 0, 0]
        item.ContourSequence = []
        for points in contours:
            contour = Dataset()
            contour.ContourGeometricType, contour.NumberOfContourPoints = "CLOSED_PLANAR", len(points)
            contour.ContourData = [float(v) for v in np.asarray(points, float).reshape(-1)]
            item.ContourSequence.append(contour)
        ds.ROIContourSequence.append(item)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID = RT_STRUCTURE_SET, ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    return path


def _reference(image: Dataset) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = image.SOPClassUID, image.SOPInstanceUID
    return item


def dump(store: Store) -> dict[str, list]:
    """Every row of every table, for before / after comparisons."""
    with store.connect() as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        return {t: sorted(map(str, con.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}


def write_wide_table(path: Path, columns: int, rows: int = 20) -> Path:
    """A clinical table (id, time, event, then ``columns - 3`` variables of digits) as CSV, or
    for a ``.xlsx`` path as a minimal workbook written by hand: its cells carry no coordinates,
    so it can be wider than openpyxl's writer allows (18,278 columns) or Excel shows (16,384)."""
    header = ["id", "time", "event", *(f"v{i}" for i in range(columns - 3))]
    body = [[f"P{r}", str(r + 1), str(r % 2), *(str((r + i) % 10) for i in range(columns - 3))] for r in range(rows)]
    if path.suffix != ".xlsx":
        path.write_text("\n".join(",".join(row) for row in [header, *body]) + "\n")
        return path
    cells = ("".join(f'<c t="inlineStr"><is><t>{escape(v)}</t></is></c>' for v in row) for row in [header, *body])
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><sheetData>' + "".join(f"<row>{c}</row>" for c in cells)
             + "</sheetData></worksheet>")
    main = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": f'<?xml version="1.0"?><Types xmlns="{main}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="{main}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{main}/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{main}/spreadsheetml/2006/main" '
        f'xmlns:r="{main}/officeDocument/2006/relationships"><sheets><sheet name="data" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0"?><Relationships xmlns="{main}/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{main}/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in parts.items():
            book.writestr(name, text)
    return path


def write_file(tmp_path, name: str, text: bytes) -> str:
    """``text`` written to ``tmp_path / name``; its path as a string."""
    path = tmp_path / name
    path.write_bytes(text)
    return str(path)
