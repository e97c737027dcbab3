# Hosmer-Lemeshow by formula (cut at type-7 deciles), grouped calibration tables, and
# predicted-vs-Kaplan-Meier survival calibration, on lifelines' gbsg2.csv.
# Run from this folder: Rscript calibration.R  (writes predictions.csv, calibration.json)
library(survival)
library(jsonlite)
gbsg <- read.csv("gbsg2.csv")

# logistic model of cens (used as a binary outcome) and a Cox model for S(1095 days)
lfit <- glm(cens ~ pnodes + tsize + age + progrec, family = binomial, data = gbsg)
cfit <- coxph(Surv(time, cens) ~ pnodes + tsize + age + progrec, data = gbsg)
s3 <- as.numeric(summary(survfit(cfit, newdata = gbsg), times = 1095)$surv)
pred <- data.frame(prob = fitted(lfit), prob_tied = round(gbsg$pnodes / 60, 2), surv_1095 = s3)
write.csv(format(pred, digits = 17), "predictions.csv", row.names = FALSE, quote = FALSE)
pred <- read.csv("predictions.csv")  # the values Python reads

hl <- function(y, p, g = 10) {
  breaks <- unique(quantile(p, probs = 0:g / g, type = 7))  # cut() errors on duplicate breaks
  grp <- cut(p, breaks = breaks, include.lowest = TRUE)
  obs <- tapply(y, grp, sum); exp <- tapply(p, grp, sum); n <- tapply(y, grp, length)
  chisq <- sum((obs - exp)^2 / exp + ((n - obs) - (n - exp))^2 / (n - exp))
  df <- nlevels(grp) - 2
  ci <- t(sapply(levels(grp), function(l) {
    k <- sum(y[grp == l]); m <- sum(grp == l); binom.test(k, m)$conf.int
  }))
  list(chisq = chisq, df = df, p = pchisq(chisq, df, lower.tail = FALSE), n_groups = nlevels(grp),
       n = as.numeric(n), observed = as.numeric(obs / n), mean_predicted = as.numeric(exp / n),
       lower = as.numeric(ci[, 1]), upper = as.numeric(ci[, 2]))
}
surv_cal <- function(time, event, s, t, g = 4) {
  grp <- cut(s, breaks = quantile(s, probs = 0:g / g, type = 7), include.lowest = TRUE)
  rows <- lapply(levels(grp), function(l) {
    k <- summary(survfit(Surv(time, event) ~ 1, subset = grp == l), times = t, extend = TRUE)
    c(sum(grp == l), mean(s[grp == l]), k$surv, k$lower, k$upper)
  })
  m <- do.call(rbind, rows)
  list(n = m[, 1], mean_predicted = m[, 2], observed = m[, 3], lower = m[, 4], upper = m[, 5])
}
out <- list(
  hl = hl(gbsg$cens, pred$prob),
  hl_5 = hl(gbsg$cens, pred$prob, 5),
  hl_tied = hl(gbsg$cens, pred$prob_tied),
  surv_1095 = surv_cal(gbsg$time, gbsg$cens, pred$surv_1095, 1095)
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "calibration.json")
