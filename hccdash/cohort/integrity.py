"""Is an image file whole, and small enough to read? Checked before SimpleITK reads it.

SimpleITK reads a truncated NIfTI file (``.nii`` or ``.nii.gz``) without an error and
fills the missing voxels with zeros, and GDCM silently leaves a cut-short DICOM slice out
of its series (TRAPS.md); a 264 KB gzip file can declare gigabytes of voxels. So, by
format, and always before any voxel is read:

- **every path**: only a regular file, or a folder of regular files, is read
  (:mod:`hccdash.regular_files`: no FIFO, device or link loop);
- **NIfTI-1 / NIfTI-2** (``.nii``, ``.nii.gz``): the header gives the dimensions, the
  datatype and ``vox_offset``, so ``vox_offset + voxels x bytes per voxel`` is the size
  of the whole file. A ``.nii`` must hold at least that many bytes. A ``.nii.gz`` is read
  through gzip in 1 MiB blocks (never held in memory): the stream must reach its end
  with a valid CRC and length, and decompress to exactly that size;
- **other single files** SimpleITK reads (NRRD, MHA, ...): only the header is read
  (``ImageFileReader.ReadImageInformation``) for the voxel count; their readers refuse
  short data themselves (checked here: a cut NRRD or MHA raises);
- **DICOM** (a series folder, or one file such as a DICOM-SEG): each file with the DICOM
  preamble must hold ``rows x columns x samples x frames x bits allocated / 8`` bytes of
  pixel data (uncompressed transfer syntaxes; compressed ones must parse); the voxels of
  all its files are counted.

An image whose header declares more voxels than ``max_voxels`` (setting
``cohort.max_voxels``) is refused before anything is decompressed. Failures raise
:class:`ImageFileError` (a ``ValueError``) naming the file and saying what to do.
Results are remembered per (path, size, mtime) and limit, so a file is checked once
per process.
"""

from __future__ import annotations

import math
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pydicom
import SimpleITK as sitk

from hccdash.digest import stamp
from hccdash.regular_files import folder_files, regular_path
from hccdash.settings import CohortSettings

BLOCK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
GZIP_WBITS = 16 + zlib.MAX_WBITS  # zlib reads (and checks) the gzip wrapper
DICOM_MAGIC = b"DICM"  # bytes 128-131 of a DICOM Part 10 file
RECOPY = "copy it again from its source"
# NIfTI datatype code -> bytes per voxel
NIFTI_BYTES = {2: 1, 4: 2, 8: 4, 16: 4, 32: 8, 64: 8, 128: 3, 256: 1, 512: 2, 768: 4, 1024: 8, 1280: 8,
               1536: 16, 1792: 16, 2048: 32, 2304: 4}


class ImageFileError(ValueError):
    """An image file that is damaged, incomplete, not a regular file, or too large; ``path`` names it."""

    def __init__(self, path: str | Path, message: str):
        super().__init__(message)
        self.path = str(path)


@dataclass(frozen=True)
class NiftiHeader:
    """What a NIfTI-1 / NIfTI-2 header declares about the data that follows it."""

    dims: tuple[int, ...]
    bytes_per_voxel: int
    vox_offset: int

    @property
    def voxels(self) -> int:
        return math.prod(self.dims)

    @property
    def file_bytes(self) -> int:
        """Header, extensions and voxel data: the size of a whole (uncompressed) file."""
        return self.vox_offset + self.voxels * self.bytes_per_voxel


_checked: set[tuple] = set()
_lock = threading.Lock()


def check_image_file(path: str | Path, max_voxels: int | None = None) -> None:
    """:class:`ImageFileError` unless the image file or DICOM folder at ``path`` is whole and at most
    ``max_voxels`` voxels (default: the setting ``cohort.max_voxels``); FileNotFoundError if it is missing."""
    limit = CohortSettings().max_voxels if max_voxels is None else int(max_voxels)
    try:
        resolved = regular_path(path)
        key = (str(resolved), stamp(resolved), limit)
    except ValueError as exc:
        raise ImageFileError(path, str(exc)) from None
    with _lock:
        if key in _checked:
            return
    if resolved.is_dir():
        _check_dicom_folder(path, resolved, limit)
    elif is_dicom_file(resolved):
        _check_voxels(path, _check_dicom_file(path, resolved), limit)
    elif resolved.name.lower().endswith((".nii", ".nii.gz")):
        _check_nifti(path, resolved, limit)
    else:
        _check_voxels(path, _header_voxels(path, resolved), limit)
    with _lock:
        _checked.add(key)


def _check_voxels(path: str | Path, voxels: tuple[int, ...], limit: int) -> None:
    total = math.prod(voxels)
    if total > limit:
        shown = " x ".join(str(v) for v in voxels)
        raise ImageFileError(
            path, f"{path} declares {shown} = {total:,} voxels, more than the limit of {limit:,} (setting "
            "cohort.max_voxels, sized for this machine's memory); crop or resample the image, or raise the "
            "limit on a machine with more memory",
        )


def _header_voxels(path: str | Path, resolved: Path) -> tuple[int, ...]:
    """Size (and components per voxel, if more than one) from the header alone; unreadable headers
    are left to the reader, which explains them."""
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(resolved))
    try:
        reader.ReadImageInformation()
    except RuntimeError:
        return (0,)
    components = reader.GetNumberOfComponents()
    return (*reader.GetSize(), *((components,) if components > 1 else ()))


# --- NIfTI ---------------------------------------------------------------------------------------


def nifti_header(data: bytes) -> NiftiHeader | None:
    """The header at the start of a NIfTI-1 / NIfTI-2 single file, or None when ``data`` is not one
    (another Analyze flavour: left to SimpleITK). ValueError for a header that contradicts itself."""
    for order in "<>":
        if len(data) >= 348 and struct.unpack(order + "i", data[:4])[0] == 348 and data[344:347] == b"n+1":
            dims = struct.unpack(order + "8h", data[40:56])
            datatype, bitpix = struct.unpack(order + "2h", data[70:74])
            offset = max(int(struct.unpack(order + "f", data[108:112])[0]), 352)
            break
        if len(data) >= 540 and struct.unpack(order + "i", data[:4])[0] == 540 and data[4:7] == b"n+2":
            datatype, bitpix = struct.unpack(order + "2h", data[12:16])
            dims = struct.unpack(order + "8q", data[16:80])
            offset = max(struct.unpack(order + "q", data[168:176])[0], 544)
            break
    else:
        return None
    if not 1 <= dims[0] <= 7 or any(d < 1 for d in dims[1 : dims[0] + 1]):
        raise ValueError(f"its header declares impossible dimensions {list(dims[: dims[0] + 1])}")
    size = NIFTI_BYTES.get(datatype) or max(bitpix, 0) // 8
    if size < 1:
        raise ValueError(f"its header declares an unknown voxel type (datatype {datatype}, bitpix {bitpix})")
    return NiftiHeader(tuple(int(d) for d in dims[1 : dims[0] + 1]), size, int(offset))


def _check_nifti(path: str | Path, resolved: Path, limit: int) -> None:
    with open(resolved, "rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC  # ITK also reads an uncompressed file named .nii.gz
    try:
        if compressed:
            blocks = gunzip_blocks(resolved)
            start = b""
            while len(start) < 540 and (block := next(blocks, b"")):
                start += block
        else:
            with open(resolved, "rb") as handle:
                start = handle.read(540)
        try:
            header = nifti_header(start)
        except ValueError as exc:
            raise ImageFileError(path, f"{path} is damaged: {exc}; {RECOPY}") from None
        if header is None:
            return
        _check_voxels(path, header.dims, limit)  # before anything more is decompressed
        present = _stream_length(blocks, len(start), header) if compressed else resolved.stat().st_size
    except (EOFError, zlib.error) as exc:
        what = "incomplete (cut short?)" if isinstance(exc, EOFError) else "damaged"
        raise ImageFileError(path, f"{path} is {what}: its gzip stream {_gzip_reason(exc)}; {RECOPY}") from None
    declared = (f"its header declares {' x '.join(map(str, header.dims))} voxels of {header.bytes_per_voxel} "
                f"byte(s), {header.file_bytes:,} bytes with the header")
    if present < header.file_bytes:
        holds = f"it decompresses to {present:,}" if compressed else f"the file has {present:,}"
        raise ImageFileError(path, f"{path} is incomplete (cut short?): {declared}, but {holds}; {RECOPY}")
    if present > header.file_bytes and compressed:
        raise ImageFileError(path, f"{path} is damaged: {declared}, but it decompresses to more; {RECOPY}")


def gunzip_blocks(path: Path) -> Iterator[bytes]:
    """The decompressed content of a gzip file in blocks of at most 1 MiB, every member's CRC and
    length checked by zlib; EOFError when the stream is cut short, zlib.error when it is damaged."""
    inflater = zlib.decompressobj(GZIP_WBITS)
    with open(path, "rb") as handle:
        while chunk := handle.read(BLOCK):
            while chunk:
                if inflater.eof:  # another gzip member follows (or padding, which zlib refuses)
                    inflater = zlib.decompressobj(GZIP_WBITS)
                block = inflater.decompress(chunk, BLOCK)
                chunk = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
                if block:
                    yield block
    if not inflater.eof:
        raise EOFError("the gzip stream ends before its end marker")


def _stream_length(blocks: Iterator[bytes], already: int, header: NiftiHeader) -> int:
    """Decompressed bytes in all, reading the stream to its end, but stopping one block after the
    size the header declares (a stream that decompresses to more is refused anyway)."""
    total = already
    for block in blocks:
        total += len(block)
        if total > header.file_bytes:
            break
    return total


def _gzip_reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "ends before its end marker"
    text = str(exc)
    if "check" in text:  # zlib: "incorrect data check" (CRC) / "incorrect length check" (ISIZE)
        return f"fails its check ({text})"
    return f"cannot be decompressed ({text})"


# --- DICOM ---------------------------------------------------------------------------------------


def is_dicom_file(path: Path) -> bool:
    """Whether the file at ``path`` has the DICOM preamble (``DICM`` at byte 128)."""
    with open(path, "rb") as handle:
        return handle.read(132)[128:] == DICOM_MAGIC


def _check_dicom_file(path: str | Path, resolved: Path) -> tuple[int, ...]:
    """Rows, columns and frames of one DICOM file whose pixel data is whole; () if it holds no image."""
    try:
        ds = pydicom.dcmread(resolved)
    except Exception as exc:  # noqa: BLE001 - pydicom raises many types for a damaged file
        raise ImageFileError(path, f"{path} is damaged or cut short: pydicom cannot read it ({exc}); {RECOPY}") from None
    if "Rows" not in ds or "Columns" not in ds:
        return ()  # not an image (a structure set, a report, ...)
    frames = int(ds.get("NumberOfFrames") or 1)
    shape = (int(ds.Columns), int(ds.Rows), frames)
    if "PixelData" not in ds:
        raise ImageFileError(path, f"{path} is incomplete (cut short?): it describes a {shape[0]} x {shape[1]} image "
                                   f"but holds no pixel data; {RECOPY}")
    if not ds.file_meta.get("TransferSyntaxUID") or not ds.file_meta.TransferSyntaxUID.is_encapsulated:
        bits = int(ds.get("BitsAllocated") or 8)
        samples = int(ds.get("SamplesPerPixel") or 1)
        expected = math.ceil(math.prod(shape) * samples * bits / 8)
        present = len(ds.PixelData)
        if present < expected:
            raise ImageFileError(
                path, f"{path} is incomplete (cut short?): its pixel data holds {present:,} bytes, but "
                f"{shape[0]} x {shape[1]} x {frames} frame(s) x {samples} sample(s) x {bits} bits need "
                f"{expected:,}; {RECOPY}",
            )
    return shape


def _check_dicom_folder(path: str | Path, folder: Path, limit: int) -> None:
    """Every DICOM file of the folder whole; their voxels together within ``limit``."""
    try:
        files = folder_files(folder)
    except ValueError as exc:
        raise ImageFileError(path, str(exc)) from None
    total = 0
    for file in files:
        if is_dicom_file(file):
            try:
                shape = _check_dicom_file(file, file)
            except ImageFileError as exc:  # named by the folder, the image the manifest gives
                raise ImageFileError(path, str(exc)) from None
            total += math.prod(shape or (0,))
            if total > limit:
                raise ImageFileError(
                    path, f"{path} is a DICOM folder of more than {limit:,} voxels (setting cohort.max_voxels, "
                    "sized for this machine's memory); crop the series, or raise the limit on a machine with more memory",
                )
