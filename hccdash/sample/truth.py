"""``sample_data/TRUTH.md``: the generating model of the sample cohort, written from the code
that simulates it (so the document cannot drift from the simulation)."""

from __future__ import annotations

from hccdash.sample.cohort import COLUMN_MEANINGS, MISSING_RATES, N_REPEAT, Cohort
from hccdash.sample.images import CAPSULE_HU, MOSAIC_HU, NECROSIS_HU
from hccdash.sample.patients import CENTRES, SLICE_MM
from hccdash.sample.survival import (
    ACCRUAL_MONTHS,
    LOSS_RATE,
    STUDY_MONTHS,
    TERMS,
    WEIBULL_SCALE_MONTHS,
    WEIBULL_SHAPE,
)
from hccdash.sample.tumour import MARGIN_XY_MM, MARGIN_Z_MM
from hccdash.stats import harrell_c


def truth_markdown(cohort: Cohort) -> str:
    """The TRUTH.md text for a built cohort."""
    clinical, truth = cohort.clinical, cohort.truth
    lp = truth["linear_predictor"]
    c_index = harrell_c(clinical["rfs_months"], clinical["recurrence"], lp)
    events = int(clinical["recurrence"].sum())
    lost = int(((truth["loss_months"] < truth["admin_censoring_months"])
                & (truth["loss_months"] < truth["recurrence_months"])).sum())
    censored = clinical.loc[clinical["recurrence"] == 0, "rfs_months"]
    terms = "\n".join(f"| `{t.name}` | {t.beta:+.2f} | {t.meaning} |" for t in TERMS)
    centres = "\n".join(
        f"| {c.name} | {c.n} | {c.hbv:.0%} | {c.size_median_mm:.0f} mm | "
        f"{' / '.join(f'{p:.0%}' for p in c.number_probs)} | {c.afp_median:.0f} | "
        f"{c.spacing_xy} x {c.spacing_xy} x {SLICE_MM} mm | {c.noise_sd:.0f} HU | "
        f"{c.portal_shift:+.0f} HU |" for c in CENTRES)
    by_centre = clinical.groupby("centre")["recurrence"].agg(["size", "sum"])
    per_centre = ", ".join(f"{name}: {int(r['sum'])}/{int(r['size'])}"
                           for name, r in by_centre.iterrows())
    missing = ", ".join(f"{col} {rate:.0%}" for col, rate in MISSING_RATES.items())
    columns = "\n".join(f"| `{name}` | {meaning} |" for name, meaning in COLUMN_MEANINGS.items())
    mosaic = " / ".join(f"{b:.0f} + {h:.0f} x heterogeneity" for b, h in MOSAIC_HU)
    return f"""# TRUTH: how the synthetic HCC sample cohort was generated

Built by `python -m hccdash.sample --seed {cohort.seed}` (code: `hccdash/sample/`).
Everything below follows from the seed; the voxel values are identical on every machine
and `images.sha256` records the files' SHA-256. The data are synthetic: no real patient is behind any row.

## Cohort

{len(clinical)} patients, ids `HCC001`... numbered centre by centre.

| centre | n | HBV | median tumour size | 1 / 2 / 3 tumours | median AFP (ng/mL) | voxel size | CT noise | portal timing |
|---|---|---|---|---|---|---|---|---|
{centres}

Centre B sees larger, more often multinodular, more AFP-secreting tumours and prefers MWA
and resection over RFA; its scanner is noisier and its portal phase a little later
(brighter liver). Clinical variables: liver dysfunction (a latent score, higher with
cirrhosis) lowers ALB and PLT, raises TBIL and AST and makes Child-Pugh B; AFP rises with
tumour size and heterogeneity; BCLC is 0 (single <= 20 mm, Child-Pugh A), A (single, or
up to 3 nodules <= 30 mm) or B; the treatment follows stage, size and the centre's
habits (BCLC B mostly TACE; single <= 30 mm mostly ablation; Child-Pugh B never
resection). Missing completely at random: {missing}.

| `clinical.csv` column | meaning |
|---|---|
{columns}

`tumour_diameter_mm` is measured on the image: the longest axial diameter of the
reader-1 portal-phase mask (edge to edge), rounded to the millimetre.

## Recurrence model (the truth a model should find)

Proportional hazards with a Weibull baseline (months):

    h(t | x) = (k / lambda) (t / lambda)^(k - 1) exp(lp),   k = {WEIBULL_SHAPE}, lambda = {WEIBULL_SCALE_MONTHS:g}
    lp = sum_j beta_j x_j
    T  = lambda (-ln U exp(-lp))^(1 / k),   U ~ Uniform(0, 1)

| term | beta | x |
|---|---|---|
{terms}

Heterogeneity, APHE and washout are properties of the images, not columns of the
table: radiomics features have to recover them. The laboratory values enter unrounded
and before any value was blanked. The linear predictor is deliberately **not** in
`clinical.csv`; `python -m hccdash.sample --truth FILE.csv` writes it (with the latent
appearance and the uncensored times) to a file you keep out of git.

Censoring: entry uniform over the first {ACCRUAL_MONTHS:g} months and the study closed
at month {STUDY_MONTHS:g}, so administrative censoring comes after
{STUDY_MONTHS - ACCRUAL_MONTHS:g}-{STUDY_MONTHS:g} months of follow-up; independently,
loss to follow-up at an exponential time with rate {LOSS_RATE} per month.
`rfs_months = min(T, censoring)` rounded to 0.1 month,
`recurrence = 1` when T came first.

This seed: {events} recurrences in {len(clinical)} patients ({events / len(clinical):.0%};
{per_centre}); {lost} patients lost to follow-up; median follow-up of the censored
{censored.median():.1f} months.
Harrell's C of the true linear predictor: **{c_index:.3f}**.

## Images

Three phases per patient (arterial, portal venous, delayed), int16 HU, crops of at least
64 x 64 x 12 voxels with >= {MARGIN_XY_MM:g} mm of liver around the tumour in-plane and
>= {MARGIN_Z_MM:g} mm above and below; one `label 1` mask per phase (the tumour moves by
a breathing shift of about a millimetre between phases).

* Liver: arterial ~72, portal ~108, delayed ~93 HU (patient variation, cirrhosis and
  centre timing), a parenchymal texture (stronger in cirrhosis) and 1-3 vein branches.
* Tumour: an ellipsoid with bulges and notches (irregular margins), size as in the table.
  Arterial phase: liver + APHE (mean 38 HU, 12% hypovascular tumours ~5 HU); portal
  phase: liver - washout (mean 14 HU); delayed: liver - (portal washout + ~6 HU).
* A mosaic of internal compartments, contrast (HU, arterial / portal / delayed):
  ({mosaic}) x gain, the gain log-normal (sd 0.3 on the log scale) and unrelated to
  the outcome: texture measures heterogeneity only approximately.
* A non-enhancing necrotic core ({NECROSIS_HU:g} HU) in heterogeneous tumours of 20 mm
  or more.
* An enhancing capsule ({' / '.join(f'{v:+g}' for v in CAPSULE_HU)} HU) over part or all
  of the margin in about half of the tumours.
* Partial volume at the margin (1 mm in-plane, three sub-slices across each {SLICE_MM:g} mm slice)
  and spatially correlated CT noise.

Second reader: {N_REPEAT} patients (chosen at random, both centres) have a second mask
per phase (`reader 2`, `*_mask_r2.nii.gz`), drawn as another radiologist would: the
contour dilated or eroded by about a voxel (0.3 +- 0.7 mm), shifted by up to a voxel
(0.5 mm in-plane, 1 mm along z), its lobulation smoothed (60-100%) and with small bulges
of its own.

## Files

* `clinical.csv`: one row per patient (columns above; empty cell = missing).
* `manifest.csv`: `patient_id, phase, image, mask, reader`, paths relative to this folder;
  reader `1` for every patient and phase, reader `2` for the {N_REPEAT} repeat patients
  ({len(clinical) * 3 + N_REPEAT * 3} cases).
* `images/` (not in git): made by `python -m hccdash.sample --if-missing` (`make run` does
  it) in well under a minute; `images.sha256` holds the SHA-256 of every file, and
  `--if-missing` rebuilds only the patients whose files are missing or differ.
"""
