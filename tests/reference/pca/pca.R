# PCA of z-scored deep features, as hccdash.selection.pca.PCAReducer after Standardizer
# Rscript pca.R  (reads deep.csv, writes pca.json)
library(jsonlite)
x <- read.csv("deep.csv", check.names = FALSE)
fit <- prcomp(x, center = TRUE, scale. = TRUE)
out <- list(
  call = "prcomp(x, center = TRUE, scale. = TRUE)",
  sdev = unname(fit$sdev),
  rotation = unname(fit$rotation),
  scores = unname(fit$x),
  center = unname(fit$center),
  scale = unname(fit$scale)
)
write_json(out, "pca.json", digits = NA, matrix = "rowmajor", auto_unbox = TRUE)
