# Cox fixtures: coxph (Efron and Breslow), survfit(fit, newdata) with log CI, anova of nested
# fits, univariable fits, on lifelines' rossi.csv and scikit-survival's whas500 (whas500.csv,
# categorical columns as numbers; written by make_data.py).
# Run from this folder: Rscript cox.R  (writes cox.json)
library(survival)
library(jsonlite)
rossi <- read.csv("rossi.csv")
whas <- read.csv("whas500.csv")
out <- list()
tight <- coxph.control(eps = 1e-11, iter.max = 100)  # tighter than the default 1e-9

fit_out <- function(fit) {
  list(coef = as.list(coef(fit)), se = as.list(sqrt(diag(fit$var))),
       loglik = fit$loglik, var = fit$var, means = as.list(fit$means), iter = fit$iter)
}
rossi_f <- Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio
whas_f <- Surv(lenfol, fstat) ~ age + bmi + hr + sysbp + diasbp + gender + chf + mitype
for (ties in c("efron", "breslow")) {
  fr <- coxph(rossi_f, data = rossi, ties = ties, control = tight)
  fw <- coxph(whas_f, data = whas, ties = ties, control = tight)
  out[[paste0("rossi_", ties)]] <- fit_out(fr)
  out[[paste0("whas_", ties)]] <- fit_out(fw)

  # survfit(fit, newdata): survival and log CI at several times, for three new patients
  newdata <- rossi[c(1, 50, 200), ]
  times <- c(1, 8, 20, 20.5, 35, 49, 52)
  sf <- summary(survfit(fr, newdata = newdata, conf.type = "log", conf.int = 0.95), times = times)
  out[[paste0("rossi_survfit_", ties)]] <- list(
    rows = c(0, 49, 199), times = times, surv = sf$surv, lower = sf$lower,
    upper = sf$upper, std_err = sf$std.err)
  wnew <- whas[c(3, 100, 400), ]
  wtimes <- c(30, 365, 730, 1000, 1825)
  sw <- summary(survfit(fw, newdata = wnew, conf.type = "log", conf.int = 0.9), times = wtimes)
  out[[paste0("whas_survfit_", ties)]] <- list(
    rows = c(2, 99, 399), times = wtimes, level = 0.9, surv = sw$surv, lower = sw$lower,
    upper = sw$upper)
  # baseline: survfit(fit) without newdata = covariates at their means
  b <- survfit(fr)
  out[[paste0("rossi_baseline_", ties)]] <- list(time = b$time[b$n.event > 0],
    surv = b$surv[b$n.event > 0], cumhaz = b$cumhaz[b$n.event > 0],
    n_risk = b$n.risk[b$n.event > 0])

  # anova of nested fits (LR test)
  small <- coxph(Surv(week, arrest) ~ age + prio, data = rossi, ties = ties, control = tight)
  a <- anova(small, fr)
  out[[paste0("rossi_anova_", ties)]] <- list(chisq = a$Chisq[2], df = a$Df[2], p = a[["Pr(>|Chi|)"]][2],
    loglik_small = small$loglik[2], loglik_big = fr$loglik[2])

  # univariable fits
  uni <- sapply(c("age", "bmi", "hr", "sysbp", "diasbp", "gender", "chf", "mitype"), function(v) {
    f <- coxph(as.formula(paste("Surv(lenfol, fstat) ~", v)), data = whas, ties = ties, control = tight)
    s <- summary(f)$coefficients
    c(coef = s[1, "coef"], se = s[1, "se(coef)"], p = s[1, "Pr(>|z|)"])
  })
  out[[paste0("whas_univariable_", ties)]] <- as.data.frame(t(uni))
}
# one binary covariate: score (log-rank) test printed by coxph
fb <- coxph(Surv(week, arrest) ~ fin, data = rossi, ties = "breslow")
out$rossi_fin_breslow_score <- summary(fb)$sctest[["test"]]
write(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, rownames = TRUE), "cox.json")
