# S(t) with 95% log CI for new patients, as survival::survfit on a coxph fit (Efron ties).
# Data: lifelines.datasets.load_rossi() (columns week, arrest, fin, age, prio, wexp).
# Run from this folder: Rscript survest.R
library(survival)
rossi <- read.csv("rossi.csv")
newdata <- read.csv("newdata.csv")
fit <- coxph(Surv(week, arrest) ~ fin + age + prio + wexp, data = rossi, ties = "efron")
sf <- survfit(fit, newdata = newdata, conf.type = "log", conf.int = 0.95)
times <- c(10, 26, 40.5, 52)
s <- summary(sf, times = times, extend = TRUE)
n_new <- nrow(newdata)
out <- data.frame(
  patient = rep(seq_len(n_new) - 1, each = length(times)),
  time = rep(times, n_new),
  surv = as.vector(s$surv),
  lower = as.vector(s$lower),
  upper = as.vector(s$upper),
  std_err = as.vector(s$std.err)
)
write.csv(out, "survest.csv", row.names = FALSE)
write.csv(data.frame(term = names(coef(fit)), coef = unname(coef(fit)), se = sqrt(diag(vcov(fit)))),
          "coef.csv", row.names = FALSE)
# The whole curve of the first new patient (every distinct time)
curve <- data.frame(time = sf$time, surv = sf$surv[, 1], lower = sf$lower[, 1],
                    upper = sf$upper[, 1], std_err = sf$std.err[, 1])
write.csv(curve, "curve_patient0.csv", row.names = FALSE)
