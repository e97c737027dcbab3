"""Registered networks: an ONNX file checked, copied under ``HCCDASH_HOME/networks`` and recorded in the store.

:func:`register_network` inspects the file (:func:`hccdash.deep.network.inspect_network`), copies
it to ``networks/<sha256>.onnx`` and records its facts under a name; nothing is copied or
recorded when the file is refused. A name is a lower-case identifier (it becomes part of the
feature names ``dl.<name>.<NNNN>``). Registering the same file with the same facts under the
same name again changes nothing; another file or other facts under a taken name are refused.
:func:`get_network` reads a registration back and checks that the kept file still has the
registered SHA-256 (:class:`~hccdash.deep.network.NetworkError` otherwise).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from hccdash import paths
from hccdash.atomic import atomic_file
from hccdash.deep.network import Network, NetworkError, changed_file, inspect_network
from hccdash.digest import sha256_file
from hccdash.store import Store

NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


def check_name(name: str) -> str:
    """``name`` if it can name a network; ValueError saying what a name may hold."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise NetworkError(f"A network name is 1 to 32 lower-case letters, digits or '_', starting with a letter "
                           f"(it becomes part of the feature names dl.<name>.0000); got {name!r}")
    return name


def register_network(path: str | Path, name: str, *, source: str | None = None, store: Store | None = None,
                     **options: Any) -> Network:
    """Check the ONNX file ``path``, keep a copy and record it as ``name``; returns the registered network.

    ``options``: those of :func:`~hccdash.deep.network.inspect_network` (``output_node``, ``mean``, ``sd``,
    ``input_size``). ``source`` is what to record as its origin (default: ``path``), e.g. an upload's file name.
    """
    check_name(name)
    store = store or Store()
    network = inspect_network(path, name, **options)
    existing = _row(store, name)
    if existing is not None:
        if json.loads(existing["facts"]) != network.facts():
            raise NetworkError(f"The name '{name}' is already registered for another network file or other settings "
                               f"(SHA-256 {existing['sha256'][:12]}…): choose another name")
        return get_network(name, store)
    kept = paths.networks_dir() / f"{network.sha256}.onnx"
    if not kept.is_file() or sha256_file(kept) != network.sha256:
        with atomic_file(kept, "wb") as handle, open(path, "rb") as original:
            shutil.copyfileobj(original, handle)
    if sha256_file(kept) != network.sha256:
        raise NetworkError(f"The network file {path} changed while it was being registered: try again")
    store.execute("INSERT INTO networks VALUES (?, ?, ?, ?, ?, current_timestamp)",
                  [name, network.sha256, kept.name, str(source or path), json.dumps(network.facts())])
    return Network.from_facts(network.facts(), kept)


def register_network_bytes(data: bytes, name: str, source: str, *, store: Store | None = None, **options: Any
                           ) -> Network:
    """:func:`register_network` of an uploaded file's bytes (``source``: its file name), through a temporary file."""
    check_name(name)
    with tempfile.TemporaryDirectory(dir=paths.networks_dir(), prefix=".upload-") as folder:
        upload = Path(folder) / "upload.onnx"
        upload.write_bytes(data)
        return register_network(upload, name, source=source, store=store, **options)


def _row(store: Store, name: str) -> pd.Series | None:
    frame = store.query("SELECT * FROM networks WHERE name = ?", [name])
    return None if frame.empty else frame.iloc[0]


def get_network(name_or_sha256: str, store: Store | None = None, check: bool = True) -> Network:
    """The registered network of this name (or file SHA-256), its kept file checked (``check``)."""
    store = store or Store()
    frame = store.query("SELECT * FROM networks WHERE name = ? OR sha256 = ? ORDER BY registered_at",
                        [name_or_sha256, name_or_sha256])
    if frame.empty:
        known = ", ".join(list_networks(store)["name"]) or "none yet"
        raise NetworkError(f"No network is registered as '{name_or_sha256}' (registered: {known}); register its "
                           "ONNX file first")
    row = frame.iloc[0]
    network = Network.from_facts(json.loads(row["facts"]), paths.networks_dir() / row["file"])
    if check:
        verify_file(network)
    return network


def verify_file(network: Network) -> None:
    """NetworkError unless ``network``'s file exists and still has its registered SHA-256."""
    path = Path(network.path)
    if not path.is_file():
        raise NetworkError(f"The file {path} of the network '{network.name}' is missing: register the ONNX file again")
    if (found := sha256_file(path)) != network.sha256:
        raise changed_file(network, found)


def list_networks(store: Store | None = None) -> pd.DataFrame:
    """Registered networks, newest first: name, sha256, source, input size, output node, features, registered_at."""
    frame = (store or Store()).query("SELECT name, sha256, source, facts, registered_at FROM networks "
                                     "ORDER BY registered_at DESC, name")
    facts = [json.loads(f) for f in frame["facts"]]
    frame["input"] = [f"{f['channels']} x {f['input_size'][0]} x {f['input_size'][1]}" for f in facts]
    frame["output_node"] = [f["output_node"] for f in facts]
    frame["n_features"] = [int(f["n_features"]) for f in facts]
    frame["mean"] = [", ".join(f"{v:g}" for v in f["mean"]) for f in facts]
    frame["sd"] = [", ".join(f"{v:g}" for v in f["sd"]) for f in facts]
    return frame.drop(columns="facts")[["name", "sha256", "source", "input", "mean", "sd", "output_node",
                                        "n_features", "registered_at"]]
