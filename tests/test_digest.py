"""The one SHA-256 implementation: files, DICOM folders, remembered hashes, only regular files."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from hccdash import digest, paths
from hccdash.digest import remembered_sha256s, sha256_file, sha256_path


pytestmark = pytest.mark.usefixtures("no_hang")


def test_sha256_of_a_file_and_of_a_folder_in_relative_path_order(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc" * 1000)
    assert sha256_file(path) == sha256_path(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    (tmp_path / "s" / "b").mkdir(parents=True)
    for name, data in (("b/2", b"two"), ("1", b"one"), ("b/1", b"three")):
        (tmp_path / "s" / name).write_bytes(data)
    assert sha256_path(tmp_path / "s") == hashlib.sha256(b"one" + b"three" + b"two").hexdigest()
    (tmp_path / "t").mkdir()
    for name, data in (("x", b"one"), ("y", b"three"), ("z", b"two")):  # names do not enter
        (tmp_path / "t" / name).write_bytes(data)
    assert sha256_path(tmp_path / "t") == sha256_path(tmp_path / "s")


def test_file_hashes_are_remembered_by_stat(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    first = remembered_sha256s([path])[0]
    entries = json.loads((paths.cache_dir() / digest.HASH_FILE).read_text())
    assert entries[str(path.resolve())][1] == first == hashlib.sha256(b"abc").hexdigest()
    # a remembered hash is used while size and mtime are unchanged ...
    entries[str(path.resolve())][1] = "remembered"
    (paths.cache_dir() / digest.HASH_FILE).write_text(json.dumps(entries))
    assert remembered_sha256s([path]) == ["remembered"]
    # ... and recomputed when the file changes
    path.write_bytes(b"abcd")
    assert remembered_sha256s([path])[0] == sha256_path(path) != first


@pytest.mark.parametrize("hash_", [sha256_file, sha256_path, lambda p: remembered_sha256s([p])[0]])
def test_fifos_devices_and_link_loops_are_refused_not_read(strange_files, hash_):
    fifo, to_zero, loop = strange_files["fifo"], strange_files["zero"], strange_files["loop"]
    with pytest.raises(ValueError, match=rf"{fifo} is a named pipe \(FIFO\): only regular"):
        hash_(fifo)
    with pytest.raises(ValueError, match=rf"{to_zero} is a character device \(it leads to /dev/zero\)"):
        hash_(to_zero)
    with pytest.raises(ValueError, match=rf"{loop} is a symbolic link loop"):
        hash_(loop)


def test_a_fifo_inside_a_dicom_folder_is_named(tmp_path):
    (tmp_path / "series").mkdir()
    (tmp_path / "series" / "1.dcm").write_bytes(b"slice")
    os.mkfifo(tmp_path / "series" / "2.dcm")
    with pytest.raises(ValueError, match=r"series/2.dcm is a named pipe"):
        sha256_path(tmp_path / "series")
