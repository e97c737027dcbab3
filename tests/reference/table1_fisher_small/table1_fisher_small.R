# Table 1 Fisher p-value of a 6-patient cohort whose stage levels each occur in one set only:
# a 4 levels x 2 sets table with more cells (8) than patients (6), where scipy's Monte Carlo
# fisher_exact returns its p-value as a length-1 array. Exact p (R's network algorithm) recorded.
# Run from this folder: Rscript table1_fisher_small.R
library(jsonlite)
stage <- factor(c("I", "I", "II", "III", "III", "IV"), levels = c("I", "II", "III", "IV"))
set <- factor(c("train", "train", "train", "validation", "validation", "validation"))
counts <- table(stage, set)
out <- list(
  table = unname(lapply(seq_len(nrow(counts)), function(i) as.integer(counts[i, ]))),
  stage_fisher_p = fisher.test(counts)$p.value
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "table1_fisher_small.json")
