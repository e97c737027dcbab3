# External validation of a Cox and a logistic model developed on rotterdam.csv and validated on
# gbsg.csv (both written by make_data.R). Writes validation.json.
# Run from this folder: Rscript validation.R
library(survival)
library(riskRegression)
library(pROC)
library(jsonlite)

dev <- read.csv("rotterdam.csv")
val <- read.csv("gbsg.csv")
vars <- c("age", "meno", "size_20_50", "size_gt50", "grade3", "nodes", "lpgr", "hormon")
form <- reformulate(vars, response = "Surv(time, event)")
days <- c(1, 3, 5) * 365.25
tight <- coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 100)

# ---- Cox model ----------------------------------------------------------------------------
fit <- coxph(form, data = dev, ties = "efron", control = tight)
val$lp <- drop(as.matrix(val[vars]) %*% coef(fit))  # uncentred b'x
c_index <- concordance(Surv(time, event) ~ lp, data = val, reverse = TRUE)$concordance
slope_fit <- coxph(Surv(time, event) ~ lp, data = val, ties = "efron", control = tight)
expected <- predict(fit, newdata = val, type = "expected")
O <- sum(val$event)
E <- sum(expected)
surv <- t(summary(survfit(fit, newdata = val), times = days)$surv)  # n x times, S(t | x)
# type = "expected" at and beyond the last development time (the baseline is carried forward)
late <- val[1:3, ]
late$time <- c(100, max(dev$time), 2 * max(dev$time))
expected_late <- predict(fit, newdata = late, type = "expected")

score_of <- function(risk, time, data, times, metrics) {
  d <- data.frame(time = time, event = data$event)
  Score(list(model = risk), formula = Surv(time, event) ~ 1, data = d, times = times,
        metrics = metrics, cens.model = "km", summary = "ipa", se.fit = FALSE, conf.int = FALSE)
}
s <- score_of(1 - surv, val$time, val, days, c("auc", "brier"))
brier <- as.data.frame(s$Brier$score)
auc <- as.data.frame(s$AUC$score)
brier_model <- brier[brier$model == "model", ]
brier_null <- brier[brier$model == "Null model", ]

cox <- list(
  coef = as.list(coef(fit)),
  times = days,
  lp = val$lp,
  c_index = c_index,
  calibration_slope = unname(coef(slope_fit)),
  calibration_slope_se = unname(sqrt(diag(vcov(slope_fit)))),
  observed = O,
  expected = E,
  expected_late = list(time = late$time, expected = unname(expected_late)),
  oe_ratio = O / E,
  oe_lower = exp(log(O / E) - qnorm(0.975) / sqrt(O)),
  oe_upper = exp(log(O / E) + qnorm(0.975) / sqrt(O)),
  surv = surv,
  brier = brier_model$Brier,
  brier_null = brier_null$Brier,
  ipa = brier_model$IPA,
  td_auc = auc[auc$model == "model", "AUC"]
)

# ---- Brier score with heavy ties: whole months, horizons at observed times -----------------
months <- c(12, 36, 60)
sm <- as.data.frame(score_of(1 - surv, val$time_months, val, months, "brier")$Brier$score)
brier_months <- list(
  times = months,
  brier = sm[sm$model == "model", "Brier"],
  brier_null = sm[sm$model == "Null model", "Brier"],
  ipa = sm[sm$model == "model", "IPA"]
)

# ---- Logistic model: recurrence or death within 5 years, censored before excluded ----------
dev5 <- dev[!is.na(dev$rfs5), ]
val5 <- val[!is.na(val$rfs5), ]
glm_tight <- glm.control(epsilon = 1e-14, maxit = 100)
lfit <- glm(reformulate(vars, response = "rfs5"), family = binomial, data = dev5,
            control = glm_tight)
val5$lp <- predict(lfit, newdata = val5)  # link scale
p <- plogis(val5$lp)
r <- roc(val5$rfs5, p, levels = c(0, 1), direction = "<", quiet = TRUE)
ci <- ci.auc(r, method = "delong")
cal_int <- glm(rfs5 ~ offset(lp), family = binomial, data = val5, control = glm_tight)
cal_slope <- glm(rfs5 ~ lp, family = binomial, data = val5, control = glm_tight)
logistic <- list(
  intercept = unname(coef(lfit)[1]),
  coef = as.list(coef(lfit)[-1]),
  n = nrow(val5),
  auc = as.numeric(ci[2]),
  auc_lower = as.numeric(ci[1]),
  auc_upper = as.numeric(ci[3]),
  calibration_intercept = unname(coef(cal_int)[1]),
  calibration_slope = unname(coef(cal_slope)[2]),
  brier = mean((val5$rfs5 - p)^2)
)

out <- list(cox = cox, brier_months = brier_months, logistic = logistic)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, matrix = "rowmajor"),
           "validation.json")
