"""The app-wide cohort choice shared by the pages' cohort selectboxes, and choices a page keeps
when the user comes back to it (:func:`restore_choice`, :func:`keep_choice`).

Works on any mutable mapping (the pages pass ``st.session_state``), so it needs no
Streamlit import. Each page's selectbox keeps its own widget key; before drawing it,
:func:`adopt_shared` copies the app-wide choice in when it changed elsewhere (an import,
another page) or when Streamlit dropped the widget's state after a page switch; after it,
:func:`publish_shared` makes the user's pick the app-wide choice."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence

SHARED = "cohort"


def _seen(key: str) -> str:
    return f"{key}_seen"


def adopt_shared(state: MutableMapping, key: str, options: Sequence[str]) -> None:
    """Set widget ``key`` to the shared choice if it changed since this widget last published,
    or if the widget has no state (first visit, or dropped after a page switch)."""
    current = state.get(SHARED)
    if current in options and (key not in state or current != state.get(_seen(key))):
        state[key] = current


def publish_shared(state: MutableMapping, key: str) -> None:
    """Make the value of widget ``key`` the shared choice."""
    state[SHARED] = state[_seen(key)] = state[key]


def restore_choice(state: MutableMapping, key: str, options: Sequence[str]) -> None:
    """Give widget ``key`` the value it last had (kept by :func:`keep_choice`) when Streamlit dropped
    its state after a page switch, if that value is still an option."""
    kept = state.get(f"{key}_kept")
    if key not in state and kept in options:
        state[key] = kept


def keep_choice(state: MutableMapping, key: str) -> None:
    """Keep the value of widget ``key`` beyond the page (see :func:`restore_choice`)."""
    state[f"{key}_kept"] = state[key]


OPEN_CASE = "cv_open"  # a case another page asks the Case viewer to show
CASE_KEYS = {"cohort": "cv_cohort", "patient_id": "cv_patient", "phase": "cv_phase", "reader": "cv_reader"}


def open_case(state: MutableMapping, cohort: str, patient_id: str, phase: str, reader: str = "1") -> None:
    """Ask the Case viewer to show this case on its next run (the caller then switches page);
    the cohort becomes the app-wide choice."""
    state[OPEN_CASE] = {"cohort": cohort, "patient_id": str(patient_id), "phase": str(phase), "reader": str(reader)}
    state[SHARED] = cohort


def take_open_case(state: MutableMapping) -> bool:
    """Apply (once) a case asked for by :func:`open_case` to the viewer's widgets; whether there was one."""
    wanted = state.pop(OPEN_CASE, None)
    if not wanted:
        return False
    for name, key in CASE_KEYS.items():
        state[key] = wanted[name]
    state[_seen(CASE_KEYS["cohort"])] = wanted["cohort"]
    return True
