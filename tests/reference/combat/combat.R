# ComBat fixture: sva::ComBat(dat = t(X), batch, mod = NULL, par.prior = TRUE, ref.batch = ...)
# on two tables, each with and without a reference batch.
# Run from this folder: Rscript combat.R /work/shared/reference/pyradiomics/data/baseline
# Writes radiomics.csv and simulated.csv (the inputs; Python reads the same files) and
# adjusted_<case>.csv (patients x features, 17 significant digits), listed in cases.csv.
suppressPackageStartupMessages(library(sva))

write17 <- function(frame, path) {
  out <- frame
  for (j in seq_along(out)) if (is.numeric(out[[j]])) out[[j]] <- sprintf("%.17g", out[[j]])
  write.csv(out, path, row.names = FALSE, quote = FALSE)
}

# (a) pyradiomics' own baseline values (BSD-3, AIM-Harvard/pyradiomics data/baseline): the
# "original" texture features of its 5 test cases (brain1, brain2, breast1, lung1, lung2)
# under 7 extraction configurations; batch = configuration (a real processing batch effect).
baseline <- commandArgs(trailingOnly = TRUE)[1]
classes <- c("glcm", "gldm", "glrlm", "glszm", "ngtdm")
tables <- lapply(classes, function(cls) {
  b <- read.csv(file.path(baseline, paste0("baseline_", cls, ".csv")), check.names = FALSE)
  b[grepl("^original_", b$featureName), ]
})
samples <- setdiff(colnames(tables[[2]]), "featureName")          # gldm: the configurations all classes share
radiomics <- do.call(rbind, lapply(tables, function(b) b[, c("featureName", samples)]))
values <- t(apply(as.matrix(radiomics[, samples]), 2, as.numeric))
colnames(values) <- radiomics$featureName
config <- ifelse(grepl("_", samples), sub("^[^_]*_", "", samples), "default")
write17(data.frame(id = samples, config = config, values, check.names = FALSE), "radiomics.csv")

# (b) simulated: 3 batches (30, 20, 25 patients), 60 features, additive and multiplicative
# batch effects (ComBat's model: x = mu + sd * (gamma_batch + sqrt(delta_batch) * e))
set.seed(20251122)
sizes <- c(A = 30, B = 20, C = 25)
p <- 60
batch <- rep(names(sizes), sizes)
mu <- rnorm(p, 100, 30)
sdev <- rexp(p, 1 / 5) + 0.5
gamma <- rbind(A = rnorm(p, 0, 0.2), B = rnorm(p, 0.8, 0.4), C = rnorm(p, -0.5, 0.3))
delta <- rbind(A = 1 / rgamma(p, 20, 20), B = 1 / rgamma(p, 4, 8), C = 1 / rgamma(p, 6, 3))
e <- matrix(rnorm(sum(sizes) * p), sum(sizes), p)
sim <- sapply(1:p, function(j) mu[j] + sdev[j] * (gamma[batch, j] + sqrt(delta[batch, j]) * e[, j]))
colnames(sim) <- sprintf("f%02d", 1:p)
# feature f60 is constant within batch B (sva leaves it unadjusted for everyone, in every case);
# one patient alone in batch D (cases *_single: sva then uses the mean-only model for every batch)
d_row <- mu + sdev * rnorm(p, 1, 1)
sim <- rbind(sim, d_row)
batch <- c(batch, "D")
sim[batch == "B", "f60"] <- 42
write17(data.frame(id = sprintf("p%03d", seq_along(batch)), batch = batch, sim, check.names = FALSE),
        "simulated.csv")

# ComBat on the files as written (so R and Python read the same numbers)
run <- function(data_file, batch_col, keep, ref, case) {
  d <- read.csv(data_file, check.names = FALSE, stringsAsFactors = FALSE)
  d <- d[d[[batch_col]] %in% keep, ]
  X <- as.matrix(d[, -(1:2)])
  adjusted <- sva::ComBat(dat = t(X), batch = d[[batch_col]], mod = NULL, par.prior = TRUE,
                          ref.batch = ref)
  write17(data.frame(id = d$id, t(adjusted), check.names = FALSE), paste0("adjusted_", case, ".csv"))
  data.frame(case = case, data = data_file, batch_col = batch_col, batches = paste(keep, collapse = ";"),
             ref_batch = ifelse(is.null(ref), "", ref))
}
configs <- c("default", "2d", "FBN", "normalization", "resampling", "resegmentation")
cases <- rbind(
  run("radiomics.csv", "config", configs, NULL, "radiomics"),
  run("radiomics.csv", "config", configs, "default", "radiomics_ref"),
  # flatRegion: 41 features constant within that configuration -> left unadjusted
  run("radiomics.csv", "config", c(configs, "flatRegion"), NULL, "radiomics_flat"),
  run("radiomics.csv", "config", c(configs, "flatRegion"), "default", "radiomics_flat_ref"),
  run("simulated.csv", "batch", c("A", "B", "C"), NULL, "simulated"),
  run("simulated.csv", "batch", c("A", "B", "C"), "B", "simulated_ref"),
  # a new centre C mapped onto reference B (hccdash's ComBatHarmonizer for a centre unseen in training)
  run("simulated.csv", "batch", c("B", "C"), "B", "simulated_BC_ref"),
  run("simulated.csv", "batch", c("A", "B", "C", "D"), NULL, "simulated_single"),
  run("simulated.csv", "batch", c("A", "B", "C", "D"), "A", "simulated_single_ref")
)
write.csv(cases, "cases.csv", row.names = FALSE)

writeLines(c(R.version.string,
             paste("sva", packageVersion("sva")),
             paste("genefilter", packageVersion("genefilter"), "(rowVars used by ComBat)"),
             "Data: radiomics.csv from pyradiomics data/baseline/baseline_{glcm,gldm,glrlm,glszm,ngtdm}.csv",
             "(AIM-Harvard/pyradiomics commit 8ed579383b44806651c463d5e691f3b2b57522ab, BSD-3-Clause),",
             "rows 'original_*', columns = case_configuration; simulated.csv from set.seed(20251122) above."),
           "VERSIONS.txt")
