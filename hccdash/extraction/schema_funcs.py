"""pyradiomics' schema functions (``radiomics/schemas/schemaFuncs.py``), as pykwalify
extensions whose errors name the parameter: ``setting.interpolator: Interpolator value ...``.

pykwalify loads this file by path (``Core(extensions=[...])``) and looks each schema ``func``
up by name here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from radiomics.schemas import schemaFuncs


def label(path: str) -> str:
    """A pykwalify path (``/setting/resegmentRange/0``) as hccdash writes it
    (``setting.resegmentRange[0]``); the top level is ``parameters``."""
    text = ""
    for part in str(path).strip("/").split("/"):
        if part.isdigit():
            text += f"[{part}]"
        elif part:
            text += f".{part}" if text else part
    return text or "parameters"


def _named(check: Callable[..., Any]) -> Callable[..., Any]:
    def run(value: Any, rule_obj: Any, path: str) -> Any:
        try:
            return check(value, rule_obj, path)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{label(path)}: {exc}") from exc

    run.__name__ = check.__name__
    return run


for _name in dir(schemaFuncs):
    if _name.startswith("check"):
        globals()[_name] = _named(getattr(schemaFuncs, _name))
