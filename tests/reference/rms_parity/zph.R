# Proportional-hazards test fixtures: survival::cox.zph (survival 3.x score test) of
# coxph(ties = "efron" / "breslow") fits, every transform, terms of one and of two columns,
# and the scaled Schoenfeld residuals that plot.cox.zph draws.
# Data: lifelines' rossi.csv (week: many tied event times) and scikit-survival's whas500.csv
# (written by ../cox/make_data.py).
# Run from this folder: Rscript zph.R  (writes zph.json and whas_poly_design.csv)
library(survival)
library(jsonlite)
rossi <- read.csv("rossi.csv")
whas <- read.csv("whas500.csv")
table_out <- function(z) {
  list(term = rownames(z$table), chisq = unname(z$table[, "chisq"]),
       df = unname(z$table[, "df"]), p = unname(z$table[, "p"]))
}
out <- list()
rossi_f <- Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio
whas_f <- Surv(lenfol, fstat) ~ age + bmi + hr + sysbp + diasbp + gender + chf + mitype
for (ties in c("efron", "breslow")) {
  fr <- coxph(rossi_f, data = rossi, ties = ties)
  fw <- coxph(whas_f, data = whas, ties = ties)
  for (tr in c("km", "rank", "identity", "log")) {
    out[[paste("rossi", ties, tr, sep = "_")]] <- table_out(cox.zph(fr, transform = tr))
    out[[paste("whas", ties, tr, sep = "_")]] <- table_out(cox.zph(fw, transform = tr))
  }
}
# scaled Schoenfeld residuals and the transformed time (plot.cox.zph's points)
fr <- coxph(rossi_f, data = rossi, ties = "efron")
z <- cox.zph(fr, transform = "km")
out$rossi_efron_km_resid <- list(x = z$x, time = z$time, y = unname(as.data.frame(z$y)),
                                 terms = colnames(z$y))
# a term of two columns (one chi-square with df 2), the design written for Python to read
fp <- coxph(Surv(lenfol, fstat) ~ poly(age, 2) + hr + gender, data = whas, ties = "efron")
design <- model.matrix(fp)
colnames(design) <- c("age_1", "age_2", "hr", "gender")
write.csv(data.frame(lenfol = whas$lenfol, fstat = whas$fstat, design), "whas_poly_design.csv",
          row.names = FALSE)
out$whas_poly_efron_km <- table_out(cox.zph(fp, transform = "km"))
out$whas_poly_efron_km_columns <- table_out(cox.zph(fp, transform = "km", terms = FALSE))
write(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "zph.json")
