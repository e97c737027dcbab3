# pROC fixtures on lifelines' gbsg2.csv: y = cens (event, used as a binary outcome).
# Run from this folder: Rscript roc.R  (writes roc.json)
library(pROC)
library(jsonlite)
d <- read.csv("gbsg2.csv")
y <- d$cens
scores <- list(pnodes = d$pnodes, tsize = d$tsize, progrec_neg = -d$progrec, progrec = d$progrec)
out <- list()
for (name in names(scores)) {
  r <- roc(y, scores[[name]], levels = c(0, 1), direction = "<", quiet = TRUE)
  ci <- ci.auc(r, method = "delong", conf.level = 0.95)
  ci90 <- ci.auc(r, method = "delong", conf.level = 0.90)
  best <- coords(r, "best", best.method = "youden", ret = c("threshold", "sensitivity", "specificity"))
  auto <- roc(y, scores[[name]], levels = c(0, 1), quiet = TRUE)
  out[[name]] <- list(
    auc = as.numeric(auc(r)), ci95 = as.numeric(ci), ci90 = as.numeric(ci90),
    best_threshold = best$threshold, best_sensitivity = best$sensitivity,
    best_specificity = best$specificity,
    thresholds = r$thresholds, sensitivities = r$sensitivities, specificities = r$specificities,
    auto_direction = auto$direction, auto_auc = as.numeric(auc(auto))
  )
}
pair <- function(a, b) {
  ra <- roc(y, scores[[a]], levels = c(0, 1), direction = "<", quiet = TRUE)
  rb <- roc(y, scores[[b]], levels = c(0, 1), direction = "<", quiet = TRUE)
  t <- roc.test(ra, rb, method = "delong", paired = TRUE)
  list(a = a, b = b, z = unname(t$statistic), p = t$p.value)
}
out$tests <- list(pair("pnodes", "tsize"), pair("pnodes", "progrec_neg"), pair("tsize", "progrec_neg"))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "roc.json")
