"""Charts of model building (data in, Altair chart out): the feature funnel, the LASSO
cross-validation curve, the coefficient path and the coefficients with their stability.

Encodings are channel objects (``alt.X("f:Q")``), not shorthand strings: Altair turns each
string into a channel through ``from_dict``, which rebuilds its class lookup every time
(about 10 ms per string; these charts are redrawn as sliders move)."""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

_MARKS = {"lambda.min": "#c0392b", "lambda.1se": "#2471a3", "chosen": "#27ae60"}


def funnel_chart(funnel: pd.DataFrame) -> alt.Chart:
    """Horizontal bars: features left after each step (``funnel``: step, label, features)."""
    data = funnel.assign(order=range(len(funnel)))
    top = max(int(data["features"].max()), 1)
    ticks = [0, *(10 ** k for k in range(len(str(top))))]  # 0, 1, 10, 100, ... (symlog's own ticks bunch up)
    base = alt.Chart(data).encode(
        y=alt.Y("label:N", sort=alt.EncodingSortField("order"), title=None, axis=alt.Axis(labelOverlap=False)),
        x=alt.X("features:Q", title="Features left (log scale)", scale=alt.Scale(type="symlog"),
                axis=alt.Axis(values=ticks, grid=True)),
        tooltip=[alt.Tooltip("label:N"), alt.Tooltip("features:Q")],
    )
    bars = base.mark_bar(color="#5d6d7e")
    text = base.mark_text(align="left", dx=4).encode(text=alt.Text("features:Q"))
    return (bars + text).properties(title="Features surviving each step", width=420, height=alt.Step(28))


def _lambda_rules(lambdas: dict[str, float]) -> alt.Chart:
    rules = pd.DataFrame([{"mark": k, "log_lambda": np.log(v)} for k, v in lambdas.items() if v is not None])
    return alt.Chart(rules).mark_rule(strokeDash=[4, 3]).encode(
        x=alt.X("log_lambda:Q"),
        color=alt.Color("mark:N", scale=alt.Scale(domain=list(_MARKS), range=list(_MARKS.values())), title=None),
        tooltip=[alt.Tooltip("mark:N"), alt.Tooltip("log_lambda:Q", format=".3f")],
    )


def cv_curve_chart(path: pd.DataFrame, lambda_min: float, lambda_1se: float, chosen: float | None = None,
                   measure: str = "Partial-likelihood deviance") -> alt.LayerChart:
    """CV deviance (mean +- 1 SE) against log(lambda), lambda.min and lambda.1se as dashed rules and
    the chosen lambda as a diamond on the curve (``path``: lambda, log_lambda, cvm, cvsd,
    n_features), as plot(cv.glmnet). Without ``chosen``, the layers a chosen lambda's
    :func:`chosen_lambda_point` is drawn on (``render.overlay``)."""
    data = path.assign(lower=path["cvm"] - path["cvsd"], upper=path["cvm"] + path["cvsd"])
    x = alt.X("log_lambda:Q", title="log(lambda)", scale=alt.Scale(zero=False))
    bars = alt.Chart(data).mark_rule(color="#aaa").encode(x=x, y=alt.Y("lower:Q", scale=alt.Scale(zero=False)),
                                                          y2=alt.Y2("upper:Q"))
    points = alt.Chart(data).mark_circle(color="#c0392b", size=30).encode(
        x=x, y=alt.Y("cvm:Q", title=f"CV {measure}", scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("lambda:Q", format=".4g"), alt.Tooltip("cvm:Q", format=".4f"),
                 alt.Tooltip("cvsd:Q", format=".4f"), alt.Tooltip("n_features:Q")],
    )
    rules = _lambda_rules({"lambda.min": lambda_min, "lambda.1se": lambda_1se})
    layers = alt.layer(bars, points, rules).properties(title="LASSO cross-validation (diamond: chosen lambda)",
                                                       width=460, height=280)
    return layers if chosen is None else layers + chosen_lambda_point(path, chosen)


def chosen_lambda_point(path: pd.DataFrame, chosen: float) -> alt.Chart:
    """The diamond of :func:`cv_curve_chart` at the path's lambda nearest ``chosen`` (on the log scale)."""
    at = path.iloc[[int(np.argmin(np.abs(np.log(path["lambda"].to_numpy()) - np.log(chosen))))]]
    return alt.Chart(at[["lambda", "log_lambda", "cvm"]]).mark_point(
        shape="diamond", size=180, filled=True, color=_MARKS["chosen"]).encode(
        x=alt.X("log_lambda:Q"), y=alt.Y("cvm:Q"),
        tooltip=[alt.Tooltip("lambda:Q", format=".4g", title="chosen lambda")])


def path_frame(coefficients: pd.DataFrame) -> pd.DataFrame:
    """Long table (feature, lambda, log_lambda, coefficient) of a features x lambdas matrix."""
    coef = coefficients.drop(index="intercept", errors="ignore")
    coef = coef.loc[(coef != 0).any(axis=1)]
    long = coef.rename_axis("feature").reset_index().melt(id_vars="feature", var_name="lambda", value_name="coefficient")
    long["lambda"] = long["lambda"].astype(float)
    long["log_lambda"] = np.log(long["lambda"])
    return long


def coefficient_path_chart(coefficients: pd.DataFrame, chosen: float | None = None) -> alt.LayerChart:
    """Each feature's coefficient against log(lambda) (features that ever enter), as plot(glmnet),
    and the chosen lambda as a dashed rule (:func:`chosen_lambda_rule`; without ``chosen``, the
    layer it is drawn on by ``render.overlay``)."""
    data = path_frame(coefficients)
    lines = alt.Chart(data).mark_line().encode(
        x=alt.X("log_lambda:Q", title="log(lambda)", scale=alt.Scale(zero=False)),
        y=alt.Y("coefficient:Q", title="Coefficient (z-scored feature)"),
        detail=alt.Detail("feature:N"), color=alt.Color("feature:N", legend=None),
        tooltip=[alt.Tooltip("feature:N"), alt.Tooltip("lambda:Q", format=".4g"),
                 alt.Tooltip("coefficient:Q", format=".4f")],
    )
    # own colour scales: a shared one (domain = the rules' marks) leaves the lines without a stroke
    chart = alt.layer(lines).resolve_scale(color="independent").properties(title="Coefficient path", width=460,
                                                                          height=280)
    return chart if chosen is None else chart + chosen_lambda_rule(chosen)


def chosen_lambda_rule(chosen: float) -> alt.Chart:
    """The dashed rule of :func:`coefficient_path_chart` at the chosen lambda."""
    return _lambda_rules({"chosen": chosen})


def coefficient_chart(coefficients: pd.Series, stability: Mapping[str, float] | None = None) -> alt.Chart:
    """Bars of the rad-score coefficients, with each feature's selection stability beside
    (share of bootstrap resamples selecting it; absent features count 0)."""
    data = pd.DataFrame({"feature": coefficients.index, "coefficient": coefficients.to_numpy()})
    order = list(data.sort_values("coefficient")["feature"])
    y = alt.Y("feature:N", sort=order, title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False))
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("coefficient:Q", title="Coefficient (z-scored feature)"), y=y,
        color=alt.ColorValue("#2471a3", condition={"test": "datum.coefficient > 0", "value": "#c0392b"}),
        tooltip=[alt.Tooltip("feature:N"), alt.Tooltip("coefficient:Q", format=".4f")],
    ).properties(title="Rad-score coefficients", width=300, height=alt.Step(22))
    if stability is None:
        return bars
    data["stability"] = pd.Series(stability, dtype=float).reindex(data["feature"]).fillna(0.0).to_numpy()
    beside = alt.Chart(data).mark_bar(color="#7d8c8d").encode(
        x=alt.X("stability:Q", title="Selected in bootstrap resamples", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        y=alt.Y("feature:N", sort=order, axis=None),
        tooltip=[alt.Tooltip("feature:N"), alt.Tooltip("stability:Q", format=".0%")],
    ).properties(title="Stability", width=160, height=alt.Step(22))
    return alt.hconcat(bars, beside)
