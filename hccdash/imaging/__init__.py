"""Looking at images: volumes as arrays, slices as PNG, the pyradiomics view and cohort QC.

- :mod:`~hccdash.imaging.volumes`: an image or a mask as a read-only (z, y, x) array in
  LPS orientation, remembered per file (so moving a slider reads nothing again);
- :mod:`~hccdash.imaging.render`: window / level presets, mask outlines, one slice of an
  axial, coronal or sagittal plane at its physical aspect, encoded as PNG;
- :mod:`~hccdash.imaging.overlap`: Dice of two readers' masks;
- :mod:`~hccdash.imaging.prepared`: the image and ROI as pyradiomics sees them after a
  case's settings (N4, 2D ROI, normalised, resampled, cropped);
- :mod:`~hccdash.imaging.case_view`: one patient x phase of a stored cohort with every
  reader's mask, for the Case viewer page;
- :mod:`~hccdash.imaging.qc`: per-image facts, per-centre summary and flags of a cohort.

Nothing here imports streamlit; pages only show the PNG bytes and tables made here.
"""
