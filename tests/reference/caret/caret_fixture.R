# Fixtures for hccdash's correlation and near-zero-variance filters (caret 6.0).
# Run from this folder: Rscript caret_fixture.R
suppressPackageStartupMessages(library(caret))
library(jsonlite)

bc <- read.csv("breast_cancer_features.csv", check.names = FALSE)  # sksurv.datasets.load_breast_cancer, numeric columns
out <- list()
for (method in c("spearman", "pearson")) {
  r <- cor(as.matrix(bc), method = method)
  for (cutoff in c(0.3, 0.5, 0.7, 0.8)) {
    for (exact in c(TRUE, FALSE)) {
      key <- sprintf("%s_%s_%s", method, cutoff, if (exact) "exact" else "fast")
      out[[key]] <- colnames(bc)[findCorrelation(r, cutoff = cutoff, exact = exact)]
    }
  }
}
write_json(out, "findcorrelation.json", auto_unbox = FALSE, pretty = TRUE)

rossi <- read.csv("rossi.csv")  # lifelines.datasets.load_rossi
n <- nrow(rossi)
rossi$constant <- 1
rossi$rare <- c(rep(0, n - 3), c(1, 2, 3))        # freqRatio 429, 4 distinct values (0.9%): near-zero
rossi$rare_ratio_only <- c(rep(0, n - 20), 1:20)  # freqRatio 412, 21 distinct values (4.9%): near-zero
rossi$many_unique <- c(rep(0, n - 60), 1:60)      # 61 distinct values (14%): kept despite the ratio
m <- nearZeroVar(rossi, saveMetrics = TRUE)
m$feature <- rownames(m)
write.csv(m[, c("feature", "freqRatio", "percentUnique", "zeroVar", "nzv")], "nearzerovar.csv", row.names = FALSE)
