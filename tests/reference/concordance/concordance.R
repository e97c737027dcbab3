# Concordance fixtures: Harrell's C (and its infinitesimal-jackknife std) and Uno's weighting
# (timewt = "n/G2") from survival::concordance, on lifelines' rossi.csv and scikit-survival's
# whas500.csv (written by ../cox/make_data.py), plus a tiny hand-made table with tied times and risks.
# Run from this folder: Rscript concordance.R  (writes concordance.json)
library(survival)
library(jsonlite)
rossi <- read.csv("rossi.csv")
whas <- read.csv("whas500.csv")
tiny <- data.frame(time = c(1, 2, 2, 2, 3, 4, 4, 5, 6, 6),
                   event = c(1, 1, 1, 0, 0, 1, 0, 1, 0, 1),
                   risk = c(5, 3, 4, 4, 1, 2, 2, 3, 0, 1))
write.csv(tiny, "tiny.csv", row.names = FALSE)
cases <- list(
  rossi_prio = list(time = rossi$week, event = rossi$arrest, risk = rossi$prio),
  whas_age = list(time = whas$lenfol, event = whas$fstat, risk = whas$age),
  whas_age10 = list(time = whas$lenfol, event = whas$fstat, risk = round(whas$age / 10)),
  tiny = list(time = tiny$time, event = tiny$event, risk = tiny$risk)
)
out <- list()
for (name in names(cases)) {
  d <- cases[[name]]
  h <- concordance(Surv(d$time, d$event) ~ d$risk, reverse = TRUE)
  u <- concordance(Surv(d$time, d$event) ~ d$risk, reverse = TRUE, timewt = "n/G2")
  out[[name]] <- list(c = unname(h$concordance), std = sqrt(unname(h$var)),
                      count = as.list(h$count), uno = unname(u$concordance))
}
tau <- 1000
u <- concordance(Surv(lenfol, fstat) ~ age, data = whas, reverse = TRUE, timewt = "n/G2", ymax = tau)
out$whas_age_uno_tau <- list(tau = tau, uno = unname(u$concordance))
write(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "concordance.json")
