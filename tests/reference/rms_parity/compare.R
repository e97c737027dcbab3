# Model-comparison fixtures: Hmisc::improveProb (category-free NRI and IDI of two predicted
# probabilities), the same at a survival horizon among the patients whose status there is
# known, and survival::concordance(fit1, fit2) (two C-indices on the same patients with their
# infinitesimal-jackknife covariance; contrast c(1, -1)).
# Data: scikit-survival's whas500.csv and lifelines' rossi.csv (tied event times in both).
# Run from this folder: Rscript compare.R  (writes compare.json and compare_predictions.csv)
library(survival)
library(Hmisc)
library(jsonlite)
whas <- read.csv("whas500.csv")
rossi <- read.csv("rossi.csv")
nri_out <- function(r) {
  list(n = r$n, na = r$na, nb = r$nb, nri = r$nri, se_nri = r$se.nri, z_nri = r$z.nri,
       nri_ev = r$nri.ev, se_nri_ev = r$se.nri.ev, nri_ne = r$nri.ne, se_nri_ne = r$se.nri.ne,
       idi = r$idi, se_idi = r$se.idi, z_idi = r$z.idi,
       improveSens = r$improveSens, improveSpec = r$improveSpec)
}
out <- list()
# binary: death within a year (whas500), old = age + gender, new = + hr + bmi + chf
whas$death1y <- as.integer(whas$fstat == 1 & whas$lenfol < 365)
old <- glm(death1y ~ age + gender, binomial, data = whas)
new <- glm(death1y ~ age + gender + hr + bmi + chf, binomial, data = whas)
pred <- data.frame(death1y = whas$death1y, p_old = fitted(old), p_new = fitted(new))
# the same rounded to two decimals: many patients not reclassified (d = 0)
pred$p_old2 <- round(pred$p_old, 2)
pred$p_new2 <- round(pred$p_new, 2)
out$binary <- nri_out(improveProb(x1 = pred$p_old, x2 = pred$p_new, y = pred$death1y))
out$binary_rounded <- nri_out(improveProb(x1 = pred$p_old2, x2 = pred$p_new2, y = pred$death1y))
# survival at a horizon: Cox risk 1 - S(365 | x); status known = event by 365 (1) or followed
# to the horizon or beyond (0, as the app's early-recurrence endpoint: a patient censored
# exactly at the horizon counts as event-free); censored before it excluded. At 442 days one
# patient has an event and one is censored.
h <- 442
cold <- coxph(Surv(lenfol, fstat) ~ age + gender, data = whas, ties = "efron")
cnew <- coxph(Surv(lenfol, fstat) ~ age + gender + hr + bmi + chf, data = whas, ties = "efron")
pred$r_old <- 1 - summary(survfit(cold, newdata = whas), times = h)$surv[1, ]
pred$r_new <- 1 - summary(survfit(cnew, newdata = whas), times = h)$surv[1, ]
known <- whas$fstat == 1 & whas$lenfol <= h | whas$lenfol >= h
status <- as.integer(whas$fstat == 1 & whas$lenfol <= h)
out$horizon <- c(list(horizon = h, excluded = sum(!known)),
                 nri_out(improveProb(x1 = pred$r_old[known], x2 = pred$r_new[known], y = status[known])))
pred$lenfol <- whas$lenfol
pred$fstat <- whas$fstat
write.csv(pred, "compare_predictions.csv", row.names = FALSE)
# two correlated C-indices: concordance(fit1, fit2); coxph fits are ranked by their
# linear predictor, higher = earlier event
conc_out <- function(f1, f2) {
  cc <- concordance(f1, f2)
  contrast <- c(1, -1)
  d <- sum(contrast * coef(cc))
  se <- sqrt(drop(contrast %*% vcov(cc) %*% contrast))
  list(c = unname(coef(cc)), var = unname(vcov(cc)), difference = d, se = se, z = d / se,
       p = 2 * pnorm(-abs(d / se)), lower = d - qnorm(0.975) * se, upper = d + qnorm(0.975) * se,
       lp1 = unname(f1$linear.predictors), lp2 = unname(f2$linear.predictors))
}
out$c_whas <- conc_out(cnew, cold)
r1 <- coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = rossi)
r2 <- coxph(Surv(week, arrest) ~ age + prio, data = rossi)
out$c_rossi <- conc_out(r1, r2)
write(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "compare.json")
