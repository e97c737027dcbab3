// The standalone calculator (hccdash/calculator/standalone.py): the same numbers as the app's
// hccdash.calculator.prediction.predict_patient, from the model embedded as JSON (element id "model").
// Every text from the model reaches the page through textContent (never as HTML).
"use strict";
(function () {
  const model = JSON.parse(document.getElementById("model").textContent);
  const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  const form = document.getElementById("inputs");

  function withUnit(p) { return p.unit ? p.label + " (" + p.unit + ")" : p.label; }
  function element(tag, props) { const e = document.createElement(tag); Object.assign(e, props || {}); return e; }
  function shortNumber(x) { return Number(x.toPrecision(4)).toString(); }

  function field(parent, id, labelText, control) {
    control.id = id;
    parent.appendChild(element("label", { htmlFor: id, textContent: labelText }));
    parent.appendChild(control);
  }

  function numberInput(name, value) {
    const input = element("input", { type: "text", inputMode: "decimal", value: value });
    input.dataset.name = name;
    return input;
  }

  function buildForm() {
    model.predictors.forEach(function (p, i) {
      if (p.kind === "categorical") {
        const select = element("select");
        select.dataset.name = p.name;
        p.levels.forEach(function (level) { select.appendChild(element("option", { value: level, textContent: level })); });
        field(form, "in-" + i, withUnit(p), select);
      } else if (p.kind === "rad_score") {
        field(form, "in-" + i, withUnit(p), numberInput(p.name, ""));
      } else {
        field(form, "in-" + i, withUnit(p), numberInput(p.name, shortNumber(p.mean)));
      }
    });
    if (model.radiomics) {
      const set = element("fieldset");
      set.appendChild(element("legend", { textContent: "or the rad-score's radiomic features (used when the rad-score is empty)" }));
      model.radiomics.features.forEach(function (f, i) { field(set, "feature-" + i, f.name, numberInput(f.name, "")); });
      form.appendChild(set);
    }
    const button = element("button", { type: "submit", id: "calculate", textContent: "Calculate" });
    form.appendChild(button);
    form.addEventListener("submit", function (event) { event.preventDefault(); calculate(); });
  }

  function readNumber(input, label, errors) {
    const text = input.value.trim();
    if (text === "") { errors.push(label + ": missing value"); return null; }
    if (!NUMBER.test(text)) {
      const comma = NUMBER.test(text.replace(",", "."));
      errors.push(label + ": not a number" + (comma ? " (use a dot as the decimal separator and no thousands separator)" : ""));
      return null;
    }
    const value = Number(text);
    if (!isFinite(value)) { errors.push(label + ": not a finite number"); return null; }
    return value;
  }

  function radScore(p, input, errors) {
    if (input.value.trim() !== "") return readNumber(input, withUnit(p), errors);
    const rad = model.radiomics;
    if (!rad) { errors.push(withUnit(p) + ": missing value"); return null; }
    const inputs = rad.features.map(function (f, i) { return document.getElementById("feature-" + i); });
    if (inputs.some(function (e) { return e.value.trim() === ""; })) {
      errors.push(withUnit(p) + ": missing: give the rad-score or all of its features");
      return null;
    }
    let score = rad.intercept;
    rad.features.forEach(function (f, i) {
      const value = readNumber(inputs[i], f.name, errors);
      if (value !== null) score += f.coef * (value - f.mean) / f.sd;
    });
    return score;
  }

  function readInputs(errors) {
    const values = {};
    model.predictors.forEach(function (p, i) {
      const input = document.getElementById("in-" + i);
      if (p.kind === "categorical") { values[p.name] = input.value; return; }
      const value = p.kind === "rad_score" ? radScore(p, input, errors) : readNumber(input, withUnit(p), errors);
      if (value === null) return;
      if (p.hard_min !== null && value < p.hard_min) { errors.push(withUnit(p) + ": impossible: must be >= " + p.hard_min); return; }
      if (p.hard_max !== null && value > p.hard_max) { errors.push(withUnit(p) + ": impossible: must be <= " + p.hard_max); return; }
      const logged = model.terms.some(function (t) { return t.predictor === p.name && t.log; });
      if (logged && value <= 0) { errors.push(withUnit(p) + ": must be > 0: the model uses log(" + p.name + ")"); return; }
      values[p.name] = value;
    });
    return values;
  }

  function positiveLog(x) { return x > 0 ? Math.log(x) : NaN; }

  // column j of rms::rcs's basis (0 = x itself), Hmisc::rcspline.eval with norm = 2, as hccdash.stats.rcs_basis
  function rcsColumn(x, knots, j) {
    if (j === 0) return x;
    const k = knots.length, last = knots[k - 1], prev = knots[k - 2], tj = knots[j - 1];
    const kd = Math.pow(last - knots[0], 2 / 3);
    const cube = function (t) { const u = Math.max((x - t) / kd, 0); return u * u * u; };
    return cube(tj) + ((prev - tj) * cube(last) - (last - tj) * cube(prev)) / (last - prev);
  }

  function design(values) {
    return model.terms.map(function (t) {
      const x = values[t.predictor];
      if (t.type === "spline" || t.log) {
        const v = t.log ? positiveLog(x) : x;
        return t.type === "spline" ? rcsColumn(v, t.knots, t.basis) : v;
      }
      if (t.type === "indicator") return String(x) === t.level ? 1 : 0;
      if (t.type === "above") return x > t.cutoff ? 1 : 0;
      if (t.type === "at_least") return x >= t.cutoff ? 1 : 0;
      return x;
    });
  }

  function dot(a, b) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; }
  function quadratic(d, V) { let s = 0; for (let i = 0; i < d.length; i++) s += d[i] * dot(V[i], d); return s; }
  function expit(x) { return 1 / (1 + Math.exp(-x)); }

  // exp(exp(eta) * a) without inf * 0, as survfit_cox's _exp_scaled
  function expScaled(eta, a) { return a === 0 ? 1 : Math.exp(Math.sign(a) * Math.exp(eta + Math.log(Math.abs(a)))); }

  function coxEstimates(x) {
    const b = model.terms.map(function (t) { return t.coef; });
    const xc = x.map(function (v, j) { return v - model.terms[j].mean; });
    const eta = dot(xc, b);
    const base = model.baseline;
    return model.horizons.map(function (h, k) {
      if (base.beyond[k]) return { horizon: h, value: NaN, lower: NaN, upper: NaN };
      const H = base.cumhaz[k];
      const d = base.xbar[k].map(function (xb, j) { return xb - H * xc[j]; });
      const spread = model.z * Math.sqrt(base.varhaz[k] + quadratic(d, model.covariance));
      return { horizon: h, value: expScaled(eta, -H), lower: expScaled(eta, -H - spread),
               upper: Math.min(expScaled(eta, spread - H), 1) };
    });
  }

  function logisticEstimates(x, lp) {
    const x1 = [1].concat(x);
    const se = Math.sqrt(quadratic(x1, model.covariance));
    return [{ horizon: model.horizons[0], value: expit(lp), lower: expit(lp - model.z * se), upper: expit(lp + model.z * se) }];
  }

  function riskGroup(lp) {
    let i = 0;
    while (i < model.risk_groups.cutoffs.length && model.risk_groups.cutoffs[i] < lp) i++;
    return model.risk_groups.labels[i];
  }

  function percent(x) { return (100 * x).toFixed(1) + "%"; }

  function show(estimates, lp, group) {
    const body = document.getElementById("estimates");
    body.replaceChildren();
    estimates.forEach(function (e) {
      const row = element("tr", { className: "estimate" });
      row.dataset.horizon = String(e.horizon);
      row.dataset.value = String(e.value);
      row.dataset.lower = String(e.lower);
      row.dataset.upper = String(e.upper);
      row.appendChild(element("td", { textContent: e.horizon + " months" }));
      if (isNaN(e.value)) {
        row.appendChild(element("td", { textContent: "not estimable (beyond the longest follow-up)" }));
        row.appendChild(element("td"));
      } else {
        row.appendChild(element("td", { textContent: percent(e.value) }));
        row.appendChild(element("td", { textContent: percent(e.lower) + " to " + percent(e.upper) }));
      }
      body.appendChild(row);
    });
    const summary = document.getElementById("summary");
    summary.dataset.lp = String(lp);
    summary.dataset.group = group;
    summary.textContent = "Linear predictor " + lp.toFixed(4) + ", risk group: " + group +
      " (cut-off " + model.risk_groups.cutoffs.map(function (c) { return c.toFixed(4); }).join(", ") + ", " + model.risk_groups.method + ")";
    document.getElementById("results").hidden = false;
  }

  function calculate() {
    const errors = [];
    const values = readInputs(errors);
    const box = document.getElementById("errors");
    box.replaceChildren();
    if (errors.length) {
      errors.forEach(function (e) { box.appendChild(element("div", { textContent: e })); });
      document.getElementById("results").hidden = true;
      document.getElementById("estimates").replaceChildren();
      return;
    }
    const x = design(values);
    const lp = (model.intercept || 0) + dot(x, model.terms.map(function (t) { return t.coef; }));
    if (!isFinite(lp)) { box.appendChild(element("div", { textContent: "linear predictor not finite: an input is absurdly large" })); return; }
    show(model.family === "cox" ? coxEstimates(x) : logisticEstimates(x, lp), lp, riskGroup(lp));
  }

  const cox = model.family === "cox";
  document.getElementById("title").textContent = model.name;
  document.getElementById("about").textContent = model.submodel + " " + model.family + " model, trained on " +
    model.training.n + " patients (" + model.training.events + " events); times in months.";
  document.getElementById("estimate-head").textContent = cox ? "Recurrence-free survival S(t)" : "Probability of early recurrence";
  document.getElementById("ci-head").textContent = Math.round(model.level * 100) + "% CI";
  buildForm();
})();
