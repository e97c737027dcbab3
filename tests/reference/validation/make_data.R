# Writes rotterdam.csv (development) and gbsg.csv (validation) from survival::rotterdam and
# survival::gbsg, harmonised as in Royston & Altman (BMC Med Res Methodol 2013;13:33) and the
# survival package's own use of the pair: recurrence-free survival in days, tumour size in the
# Rotterdam groups, grade 3 vs 1-2, nodes and progesterone receptor winsorised at Rotterdam's
# 99th percentile (type = 1). validation.R and the Python tests read these CSVs.
# Run from this folder: Rscript make_data.R
library(survival)

rott <- survival::rotterdam
gbsg <- survival::gbsg
nodes99 <- quantile(rott$nodes, 0.99, type = 1)  # 19
pgr99 <- quantile(rott$pgr, 0.99, type = 1)      # 1360

harmonise <- function(pid, time, event, age, meno, size_group, grade, nodes, pgr, hormon) {
  data.frame(
    pid = pid, time = time, event = event, age = age, meno = meno,
    size_20_50 = as.integer(size_group == "20-50"),
    size_gt50 = as.integer(size_group == ">50"),
    grade3 = as.integer(grade == 3),
    nodes = pmin(nodes, nodes99),
    lpgr = log(pmin(pgr, pgr99) + 1),
    hormon = hormon
  )
}
# RFS: recurrence, else death; time of recurrence, else of death / last follow-up
dev <- with(rott, harmonise(pid, ifelse(recur == 1, rtime, dtime), pmax(recur, death), age, meno,
                            as.character(size), grade, nodes, pgr, hormon))
val <- with(gbsg, harmonise(pid, rfstime, status, age, meno,
                            as.character(cut(size, c(-1, 20, 50, 500), c("<=20", "20-50", ">50"))),
                            grade, nodes, pgr, hormon))
# Tie-heavy copy of the validation times (whole months) for the Brier conventions
val$time_months <- round(val$time / 30.4375)
# Binary endpoint: recurrence or death within 5 years (1826.25 days); censored before excluded (NA)
five <- 5 * 365.25
rfs5 <- function(d) ifelse(d$time > five, 0L, ifelse(d$event == 1, 1L, NA_integer_))
dev$rfs5 <- rfs5(dev)
val$rfs5 <- rfs5(val)
write.csv(dev, "rotterdam.csv", row.names = FALSE, na = "")
write.csv(val, "gbsg.csv", row.names = FALSE, na = "")
