# Median follow-up by the reverse Kaplan-Meier method, per group (horTh = no / yes) and
# overall, and the reverse log-rank test, on lifelines' gbsg2.csv (time in days, cens = 1:
# recurrence). Run from this folder: Rscript follow_up.R
library(survival)
library(jsonlite)
d <- read.csv("gbsg2.csv")
q <- function(rows) unname(quantile(survfit(Surv(time, 1 - cens) ~ 1, data = d[rows, ]),
                                    probs = c(0.25, 0.5, 0.75))$quantile)
test <- survdiff(Surv(time, 1 - cens) ~ horTh, data = d)
out <- list(all = q(rep(TRUE, nrow(d))), no = q(d$horTh == "no"), yes = q(d$horTh == "yes"),
            logrank_p = 1 - pchisq(test$chisq, length(test$n) - 1),
            observed_median = median(d$time))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"), "follow_up.json")
