# ICC fixtures: psych::ICC on the Shrout & Fleiss (1979) table (sf.csv, written here from the
# matrix in psych's ICC help page) and on ratings_random.csv (40 subjects x 3 raters, written
# by make_data.py), plus one table with missing ratings (ratings_missing.csv, written here;
# incomplete subjects dropped with na.omit, as psych asks).
# Run from this folder: Rscript icc.R  (writes icc.json)
library(psych)
library(jsonlite)
sf <- matrix(c(9, 2, 5, 8,
               6, 1, 3, 2,
               8, 4, 6, 8,
               7, 1, 2, 6,
               10, 5, 6, 9,
               6, 2, 4, 7), ncol = 4, byrow = TRUE,
             dimnames = list(NULL, paste0("J", 1:4)))
write.csv(sf, "sf.csv", row.names = FALSE)
random <- read.csv("ratings_random.csv")
missing <- random[1:20, ]
missing[c(3, 11), 2] <- NA
missing[17, 3] <- NA
write.csv(missing, "ratings_missing.csv", row.names = FALSE, na = "")
out <- list()
for (name in c("sf", "random", "missing")) {
  r <- ICC(na.omit(get(name)), lmer = FALSE)$results
  out[[name]] <- list(ICC1 = r["Single_raters_absolute", "ICC"],
                      ICC2_1 = r["Single_random_raters", "ICC"],
                      ICC3_1 = r["Single_fixed_raters", "ICC"])
}
# two readers of a feature table, one ICC per feature
readers <- read.csv("features_reader1.csv", row.names = 1)
second <- read.csv("features_reader2.csv", row.names = 1)
second <- second[rownames(readers), ]
out$features <- lapply(setNames(colnames(readers), colnames(readers)), function(f) {
  r <- ICC(na.omit(cbind(readers[[f]], second[[f]])), lmer = FALSE)$results
  list(ICC2_1 = r["Single_random_raters", "ICC"], ICC3_1 = r["Single_fixed_raters", "ICC"])
})
write(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "icc.json")
