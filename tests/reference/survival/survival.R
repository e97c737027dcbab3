# survival + maxstat fixtures on lifelines' rossi.csv and gbsg2.csv.
# Run from this folder: Rscript survival.R  (writes survival.json)
library(survival)
library(maxstat)
library(jsonlite)
rossi <- read.csv("rossi.csv")
gbsg <- read.csv("gbsg2.csv")
out <- list()

# survdiff: 2 groups and k groups
sd_out <- function(fit) {
  df <- sum(fit$exp > 0) - 1
  list(chisq = fit$chisq, df = df, p = pchisq(fit$chisq, df, lower.tail = FALSE),
       groups = sub(".*=", "", names(fit$n)), observed = as.numeric(fit$obs),
       expected = as.numeric(fit$exp))
}
out$survdiff <- list(
  rossi_fin = sd_out(survdiff(Surv(week, arrest) ~ fin, data = rossi)),
  rossi_prio3 = sd_out(survdiff(Surv(week, arrest) ~ pmin(prio, 3), data = rossi)),
  gbsg_tgrade = sd_out(survdiff(Surv(time, cens) ~ tgrade, data = gbsg))
)

# survfit: Kaplan-Meier, log CI (default), full table and at given times
km_out <- function(time, event, times) {
  fit <- survfit(Surv(time, event) ~ 1, conf.type = "log", conf.int = 0.95)
  s <- summary(fit, times = times, extend = TRUE)
  full <- summary(fit, censored = TRUE)
  list(times = times, surv = s$surv, lower = s$lower, upper = s$upper, std_err = s$std.err,
       n_risk = s$n.risk,
       table = list(time = full$time, n_risk = full$n.risk, n_event = full$n.event,
                    n_censor = full$n.censor, surv = full$surv, std_err = full$std.err,
                    lower = full$lower, upper = full$upper))
}
out$survfit <- list(
  rossi = km_out(rossi$week, rossi$arrest, c(0, 1, 5, 10.5, 20, 52, 60)),
  gbsg = km_out(gbsg$time, gbsg$cens, c(100, 365, 730, 1095.5, 1826, 2659, 3000))
)
fit90 <- summary(survfit(Surv(week, arrest) ~ 1, data = rossi, conf.int = 0.90), times = c(10, 30, 50))
out$survfit$rossi_90 <- list(times = c(10, 30, 50), lower = fit90$lower, upper = fit90$upper)

# maxstat: maximally selected log-rank statistic
ms_out <- function(formula, data) {
  a <- maxstat.test(formula, data = data, smethod = "LogRank", pmethod = "Lau92", minprop = 0.1, maxprop = 0.9)
  b <- maxstat.test(formula, data = data, smethod = "LogRank", pmethod = "Lau94", minprop = 0.1, maxprop = 0.9)
  c <- maxstat.test(formula, data = data, smethod = "LogRank", pmethod = "Lau92", minprop = 0.25, maxprop = 0.75)
  list(cutoff = unname(a$estimate), statistic = unname(a$statistic), p_lau92 = a$p.value,
       p_lau94 = b$p.value, cutoff_025 = unname(c$estimate), statistic_025 = unname(c$statistic),
       p_lau92_025 = c$p.value)
}
out$maxstat <- list(
  gbsg_pnodes = ms_out(Surv(time, cens) ~ pnodes, gbsg),
  gbsg_progrec = ms_out(Surv(time, cens) ~ progrec, gbsg),
  gbsg_age = ms_out(Surv(time, cens) ~ age, gbsg),
  rossi_prio = ms_out(Surv(week, arrest) ~ prio, rossi),
  rossi_age = ms_out(Surv(week, arrest) ~ age, rossi)
)
out$logrank_scores_rossi <- as.numeric(exactRankTests::cscores(Surv(rossi$week, rossi$arrest), type = "LogRank"))

# Cox HR of high vs low group (Efron ties, Wald CI and p)
hr_out <- function(fit) {
  s <- summary(fit)
  list(hr = unname(s$conf.int[1, 1]), lower = unname(s$conf.int[1, 3]),
       upper = unname(s$conf.int[1, 4]), p = unname(s$coefficients[1, 5]))
}
out$hr <- list(
  rossi_fin = hr_out(coxph(Surv(week, arrest) ~ fin, data = rossi)),
  gbsg_pnodes3 = hr_out(coxph(Surv(time, cens) ~ I(pnodes > 3), data = gbsg))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "survival.json")
