# riskRegression::Score cumulative/dynamic AUC (IPCW, Kaplan-Meier censoring model)
# on lifelines' gbsg2.csv and rossi.csv. Run from this folder: Rscript time_auc.R
library(riskRegression)
library(survival)
library(jsonlite)
gbsg <- read.csv("gbsg2.csv")
rossi <- read.csv("rossi.csv")
auc_at <- function(data, time, status, risk, times) {
  d <- data.frame(time = data[[time]], status = data[[status]])
  pred <- matrix(risk, nrow = nrow(d), ncol = length(times))
  s <- Score(list(model = pred), formula = Surv(time, status) ~ 1, data = d, times = times,
             metrics = "auc", cens.model = "km", null.model = FALSE, conf.int = FALSE)
  a <- s$AUC$score
  list(times = a$times, auc = a$AUC)
}
gbsg_lp <- 0.05 * gbsg$pnodes + 0.01 * gbsg$tsize - 0.002 * gbsg$progrec
out <- list(
  gbsg_pnodes = auc_at(gbsg, "time", "cens", gbsg$pnodes, c(365, 730, 1095, 1826)),
  gbsg_lp = auc_at(gbsg, "time", "cens", gbsg_lp, c(365, 730, 1095, 1826)),
  rossi_prio = auc_at(rossi, "week", "arrest", rossi$prio, c(10, 20, 30, 40))
)
roc_at <- function(data, time, status, risk, t) {
  d <- data.frame(time = data[[time]], status = data[[status]])
  s <- Score(list(model = matrix(risk, ncol = 1)), formula = Surv(time, status) ~ 1, data = d,
             times = t, metrics = "auc", plots = "roc", cens.model = "km", null.model = FALSE,
             conf.int = FALSE)
  f <- s$ROC$plotframe
  list(t = t, risk = f$risk, tpr = f$TPR, fpr = f$FPR)
}
out$roc <- list(
  gbsg_lp = roc_at(gbsg, "time", "cens", gbsg_lp, 730),
  rossi_prio = roc_at(rossi, "week", "arrest", rossi$prio, 20)
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "time_auc.json")
