# Model updating (hccdash.validation.updating) of a Cox and a logistic model developed on
# rotterdam.csv and updated on gbsg.csv (both in ../validation, written by make_data.R there).
# Times in months (days / 30.4375). Writes updating.json.
# Run from this folder: Rscript updating.R
library(survival)
library(jsonlite)

dev <- read.csv("../validation/rotterdam.csv")
val <- read.csv("../validation/gbsg.csv")
vars <- c("age", "meno", "size_20_50", "size_gt50", "grade3", "nodes", "lpgr", "hormon")
dev$tm <- dev$time / 30.4375
val$tm <- val$time / 30.4375
form <- reformulate(vars, response = "Surv(tm, event)")
times <- c(12, 36, 60)
new <- val[1:5, ]
tight <- coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 100)
surv_at <- function(fit) {
  s <- summary(survfit(fit, newdata = new), times = times)
  list(surv = t(s$surv), lower = t(s$lower), upper = t(s$upper))  # patients x times
}

# ---- Cox ------------------------------------------------------------------------------------
fit <- coxph(form, data = dev, ties = "efron", control = tight)
val$lp <- drop(as.matrix(val[vars]) %*% coef(fit))  # uncentred b'x
new$lp <- val$lp[1:5]
# 1. recalibration in the large: coefficients kept, baseline on gbsg with lp as offset; written as
# a coefficient of lp held at 1 (init = 1, no iteration), as survfit() with newdata mishandles
# offset-only fits in survival 3.5.3 (recycled lengths); the baseline is the same
fixed <- coxph.control(iter.max = 0)
f0 <- coxph(Surv(tm, event) ~ lp, data = val, ties = "efron", init = 1, control = fixed)
f0b <- coxph(Surv(tm, event) ~ lp, data = val, ties = "breslow", init = 1, control = fixed)
# 2. logistic recalibration: slope on lp, then the baseline
f1 <- coxph(Surv(tm, event) ~ lp, data = val, ties = "efron", control = tight)
# 3. refit
f2 <- coxph(form, data = val, ties = "efron", control = tight)
cox <- list(
  coef = as.list(coef(fit)),
  times = times,
  observed = sum(val$event),
  in_the_large = list(surv = surv_at(f0)$surv,
                      expected = sum(predict(f0, newdata = val, type = "expected")),
                      expected_breslow = sum(predict(f0b, newdata = val, type = "expected")),
                      surv_breslow = surv_at(f0b)$surv),
  recalibration = c(list(slope = unname(coef(f1)), slope_var = unname(vcov(f1)[1, 1])), surv_at(f1)["surv"]),
  refit = c(list(coef = as.list(coef(f2))), surv_at(f2))
)

# ---- logistic: recurrence or death within 5 years, censored before excluded ---------------
dev5 <- dev[!is.na(dev$rfs5), ]
val5 <- val[!is.na(val$rfs5), ]
glm_tight <- glm.control(epsilon = 1e-14, maxit = 100)
lfit <- glm(reformulate(vars, response = "rfs5"), family = binomial, data = dev5, control = glm_tight)
val5$lp <- predict(lfit, newdata = val5)
g0 <- glm(rfs5 ~ offset(lp), family = binomial, data = val5, control = glm_tight)
g1 <- glm(rfs5 ~ lp, family = binomial, data = val5, control = glm_tight)
g2 <- glm(reformulate(vars, response = "rfs5"), family = binomial, data = val5, control = glm_tight)
first <- val5[1:5, ]
logistic <- list(
  intercept = unname(coef(lfit)[1]),
  coef = as.list(coef(lfit)[-1]),
  pids = first$pid,
  in_the_large = list(shift = unname(coef(g0)[1]), shift_var = unname(vcov(g0)[1, 1]),
                      prob = unname(predict(g0, newdata = first, type = "response"))),
  recalibration = list(coef = unname(coef(g1)), vcov = unname(vcov(g1)),
                       prob = unname(predict(g1, newdata = first, type = "response"))),
  refit = list(intercept = unname(coef(g2)[1]), coef = as.list(coef(g2)[-1]),
               prob = unname(predict(g2, newdata = first, type = "response")))
)

writeLines(toJSON(list(cox = cox, logistic = logistic), digits = NA, auto_unbox = TRUE, pretty = TRUE,
                  matrix = "rowmajor"), "updating.json")
