"""Imports follow the flow of ../shared/STYLE.md:

    files -> cohort -> store -> extraction -> selection -> modeling -> evaluation -> registry -> calculator
          -> validation (a registry model applied to another cohort, and its updates)

A module may import its own step, an earlier step or a neutral module; an import of a later
step runs back up the flow (and, with the import the other way, makes a package cycle).
Every module under ``hccdash/`` is parsed with ``ast`` (imports inside functions and under
``TYPE_CHECKING`` count too) and mapped to its step by its package.

Neutral modules serve every step and import only each other: settings, paths, the text limits,
the spreadsheet-safe CSV writer, display formatting, bounded messages, the warnings glossary, alias-free YAML,
the check that a table has a fitted model's columns, statistics, charts, and the infrastructure
every step writes through (the DuckDB store, atomic
writes, background jobs, the worker pool, the listing output of commands). The store is the
flow's "store" step as data, but as code it is a service the steps call, so it sits below them
all. The faces (``python -m hccdash`` and its command router, the app's start-up and the start-
up cleaning of leftovers) sit above every step.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hccdash"

FLOW = ("files", "cohort", "extraction", "selection", "modeling", "evaluation", "registry", "calculator",
        "validation")
STEP_OF_PACKAGE = {
    "sample": "files",  # the synthetic sample cohort's files
    "cohort": "cohort",
    "extraction": "extraction",
    "imaging": "extraction",  # images as the extraction reads and prepares them (viewer, QC)
    "deep": "extraction",  # deep features: another kind of extracted features
    "selection": "selection",
    "modeling": "modeling",
    "evaluation": "evaluation",
    "registry": "registry",
    "calculator": "calculator",
    "validation": "validation",
}
NEUTRAL = {
    "hccdash", "hccdash.settings", "hccdash.settings_schema", "hccdash.paths", "hccdash.lazy", "hccdash.digest", "hccdash.text_limits",
    "hccdash.spreadsheet", "hccdash.display", "hccdash.session", "hccdash.store", "hccdash.jobs",
    "hccdash.workers", "hccdash.listing", "hccdash.overview", "hccdash.regular_files", "hccdash.atomic",
    "hccdash.metric_names", "hccdash.messages", "hccdash.columns", "hccdash.safe_yaml", "hccdash.warning_glossary", "hccdash.preferences",
}
NEUTRAL_PACKAGES = ("stats", "charts")
FACES = {"hccdash.__main__", "hccdash.cli", "hccdash.startup", "hccdash.leftovers"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str | None:
    """The step of ``module`` (one of FLOW), ``neutral``, ``face``, or None when unclassified."""
    if module in FACES:
        return "face"
    if module in NEUTRAL:
        return "neutral"
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in NEUTRAL_PACKAGES:
        return "neutral"
    if len(parts) > 1 and parts[1] in STEP_OF_PACKAGE:
        return STEP_OF_PACKAGE[parts[1]]
    return None


def rank(name: str) -> float:
    return {"neutral": -1, "face": len(FLOW)}.get(name, FLOW.index(name) if name in FLOW else -1)


def imported(path: Path, module: str, known: set[str]) -> set[str]:
    """The hccdash modules that ``path`` imports (``from pkg import mod`` resolved to the module)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "hccdash")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "hccdash":
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found.add(submodule if submodule in known else source)
    return found


def upward_imports() -> list[str]:
    """Each import of a later step (or of a step by a neutral module), as a readable line."""
    table = modules()
    known = set(table)
    lines = []
    for module, path in table.items():
        mine = layer(module)
        for target in sorted(imported(path, module, known)):
            theirs = layer(target)
            if mine is None or theirs is None or target == module:
                continue
            if rank(theirs) > rank(mine) or (mine == "neutral" and theirs != "neutral"):
                lines.append(f"{module} ({mine}) imports {target} ({theirs})")
    return lines


def unit(module: str) -> str:
    """The package (``hccdash.cohort``) or top-level module (``hccdash.store``) holding ``module``."""
    return ".".join(module.split(".")[:2])


def package_cycles() -> list[list[str]]:
    """Groups of packages / top-level modules that import each other round a loop (the strongly
    connected components of the import graph with more than one member)."""
    table = modules()
    known = set(table)
    edges: dict[str, set[str]] = {}
    for module, path in table.items():
        for target in imported(path, module, known):
            if unit(target) not in (unit(module), "hccdash"):
                edges.setdefault(unit(module), set()).add(unit(target))

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for node in edges.get(todo.pop(), ()):
                if node not in seen:
                    seen.add(node)
                    todo.append(node)
        return seen

    reach = {node: reachable(node) for node in edges}
    groups = {frozenset(n for n in reach if n in reach[node] and node in reach[n]) for node in reach}
    return sorted(sorted(group) for group in groups if len(group) > 1)


def test_no_package_imports_itself_round_a_loop():
    cycles = package_cycles()
    assert not cycles, "packages importing each other round a loop:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_every_module_has_a_place_in_the_flow():
    unplaced = [m for m in modules() if layer(m) is None]
    assert not unplaced, f"modules without a step or neutral place (add them to this test): {unplaced}"


def test_no_import_runs_back_up_the_flow():
    upward = upward_imports()
    assert not upward, "imports running back up the flow:\n" + "\n".join(upward)


@pytest.mark.parametrize(("module", "expected"), [
    ("hccdash.sample.build", "files"), ("hccdash.cohort.tables", "cohort"), ("hccdash.stats.cox", "neutral"),
    ("hccdash.calculator", "calculator"), ("hccdash.__main__", "face"), ("hccdash.store", "neutral"),
])
def test_layers_of_a_few_modules(module, expected):
    assert layer(module) == expected


def test_the_check_sees_imports_inside_functions_and_relative_ones(tmp_path):
    """The parser resolves a function-level ``from hccdash.registry import registry`` and a relative import."""
    source = tmp_path / "mod.py"
    source.write_text("def f():\n    from hccdash.registry import registry\nfrom . import spec\n")
    known = {"hccdash.registry.registry", "hccdash.cohort.spec"}
    assert imported(source, "hccdash.cohort.mapping", known) == {"hccdash.registry.registry", "hccdash.cohort.spec"}
