"""The warnings glossary: every warning sentence of the modelling and evaluation steps has an entry,
and pages show one box per kind."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from hccdash.evaluation.calibration import hosmer_lemeshow_warning
from hccdash.modeling.combined import epv_warning
from hccdash.paths import PROJECT_DIR
from hccdash.warning_glossary import GLOSSARY, OTHER, glossary_table, group_warnings, kind_of

# the steps whose warnings reach Model building, Evaluation and the Patient calculator (the import
# report has its own table of checks, with an action per row)
EMITTERS = ("hccdash/modeling", "hccdash/selection", "hccdash/evaluation", "hccdash/stats/lasso.py",
            "hccdash/calculator/inputs.py")
HOLE = "X1"  # what an f-string's {value} becomes


def _render(node: ast.AST) -> list[str]:
    """The sentences a string expression can give (f-string values as HOLE; both branches of an if)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else HOLE for v in node.values)]
    if isinstance(node, ast.IfExp):
        return _render(node.body) + _render(node.orelse)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [a + b for a in _render(node.left) for b in _render(node.right)]
    return []


def _wrapper(node: ast.AST) -> bool:
    """``f"{phase}: {w}"`` / ``f"DL score: {w}"``: a prefix put before another step's warning."""
    return (isinstance(node, ast.JoinedStr) and isinstance(node.values[-1], ast.FormattedValue)
            and isinstance(node.values[-1].value, ast.Name)
            and all(isinstance(v, ast.FormattedValue) or v.value.endswith(": ") or len(v.value) < 12
                    for v in node.values[:-1]))


def _strings(tree: ast.AST) -> list[ast.AST]:
    """The outermost string expressions in ``tree`` (an f-string, not its literal parts)."""
    if isinstance(tree, ast.JoinedStr) or (isinstance(tree, ast.Constant) and isinstance(tree.value, str)):
        return [tree]
    if isinstance(tree, (ast.IfExp, ast.BinOp)) and _render(tree):
        return [tree]
    return [n for child in ast.iter_child_nodes(tree) for n in _strings(child)]


def _problem_text(node: ast.AST) -> ast.AST:
    """The calculator's ``_problem(row, column, value, text)``: its text; any other expression as it is."""
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "_problem":
        return node.args[-1]
    return node


def _warning_expressions(tree: ast.Module) -> list[ast.AST]:
    """Where a warning sentence is made: appended to / assigned to a ``warnings`` / ``notes`` list,
    returned (or appended to the list returned) by a ``*_warning`` function or a ``warnings`` method,
    or a left-out horizon's ``reason``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append":
            target = ast.unparse(node.func.value)
            if re.search(r"warnings|notes", target):
                found += [_problem_text(a) for a in node.args]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                pairs = (zip(target.elts, node.value.elts) if isinstance(target, ast.Tuple)
                         and isinstance(node.value, ast.Tuple) else [(target, node.value)])
                found += [value for t, value in pairs
                          if re.search(r"warnings_|notes\[|^reason$|^skipped$", ast.unparse(t))]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                node.name.endswith("_warning") or node.name in ("warnings", "warnings_", "_warnings")):
            found += [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None]
            found += [a for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                      and c.func.attr == "append" for a in c.args]  # a list the method returns
    return found


def library_warnings() -> list[tuple[str, str]]:
    """(file, sentence) of every warning sentence the emitting steps can give."""
    out = []
    for root in EMITTERS:
        path = PROJECT_DIR / root
        for file in sorted([path] if path.is_file() else path.rglob("*.py")):
            tree = ast.parse(file.read_text())
            for expression in _warning_expressions(tree):
                for node in _strings(expression):
                    if _wrapper(node):
                        continue
                    for sentence in _render(node):
                        if len(re.sub(re.escape(HOLE), "", sentence).strip(" :.,()")) > 3:
                            out.append((str(Path(file).relative_to(PROJECT_DIR)), sentence))
    return out


def test_the_scan_finds_the_known_warnings():
    sentences = [s for _, s in library_warnings()]
    for expected in ("No feature survives at lambda", "cross-validation curve is flat", "events per model term",
                     "Hosmer-Lemeshow, ", "No repeat segmentations", "left out: ", "ComBat left",
                     "Clinical variable '", "Proportional hazards: the ", "outside the training range",
                     "far from the training data", "repeated patient id ("):
        assert any(expected in s for s in sentences), expected


def test_every_warning_the_library_gives_has_a_glossary_entry():
    missing = [(file, sentence) for file, sentence in library_warnings()
               if kind_of(sentence.replace(HOLE, "1")) is OTHER]
    assert missing == []


def test_each_kind_says_what_it_means_and_what_to_do():
    kinds = [k.kind for k in GLOSSARY]
    assert len(set(kinds)) == len(kinds)
    for kind in GLOSSARY:
        assert kind.meaning.endswith(".") and kind.action.endswith(".") and len(kind.action) > 30
    table = glossary_table()
    assert list(table.columns) == ["warning", "step", "what it means", "what to do"] and len(table) == len(GLOSSARY)


def test_six_hosmer_lemeshow_warnings_make_one_group():
    y, prob = np.array([0, 1, 0, 0, 1, 0, 0, 0]), np.linspace(0.1, 0.4, 8)
    messages = [hosmer_lemeshow_warning(m, s, y, prob, 4) for m in ("clinical", "radiomics", "combined")
                for s in ("train", "validation")]
    messages += [epv_warning(12, 4, 10, 80, 80), messages[0]]  # a repeat is shown once
    groups = group_warnings(messages)
    assert [g.kind.kind for g in groups] == ["hosmer_lemeshow", "low_epv"]
    assert len(groups[0].messages) == 6 and groups[0].messages[0].startswith("Hosmer-Lemeshow, clinical on train")
    assert groups[1].messages == ("Only 3.0 events per model term (12 events, 4 terms; 80 patients): fewer than 10, "
                                  "the model may be overfitted",)


@pytest.mark.parametrize("message, kind", [
    ("arterial: No feature survives at lambda = 0.2: the model is the null model.", "null_lasso"),
    ("DL score: The cross-validation curve is flat (the null model ...)", "flat_cv"),
    ("24 months left out: validation (fewer than 10)", "horizon_left_out"),
    ("Clinical variable 'CPS' left out: single level", "clinical_left_out"),
    ("Clinical model: no clinical variable was selected, so it is not evaluated", "model_not_evaluated"),
    ("something new", "other"),
])
def test_messages_find_their_kind(message, kind):
    assert kind_of(message).kind == kind
