# Table 1 p-values across three sets (training, internal and external validation) on
# three_sets.csv (written once by a seeded numpy generator; the data are synthetic).
# Run from this folder: Rscript table1_three.R
library(survival)
library(jsonlite)
d <- read.csv("three_sets.csv", colClasses = c(BCLC = "character"))
d$set <- factor(d$set, levels = c("train", "validation", "external"))
shapiro <- sapply(split(d$age, d$set), function(x) shapiro.test(x)$p.value)
welch <- oneway.test(age ~ set, data = d, var.equal = FALSE)
kw <- kruskal.test(AFP ~ set, data = d)
sex <- chisq.test(table(d$sex, d$set))
bclc <- chisq.test(table(d$BCLC, d$set))
event <- chisq.test(table(d$event, d$set))
fu <- survdiff(Surv(time, 1 - event) ~ set, data = d)
out <- list(
  shapiro_age = unname(shapiro),
  age_welch_anova_p = welch$p.value, age_welch_anova_F = unname(welch$statistic),
  afp_kruskal_p = kw$p.value, afp_kruskal_chisq = unname(kw$statistic),
  sex_chisq_p = sex$p.value, bclc_chisq_p = bclc$p.value, event_chisq_p = event$p.value,
  follow_up_logrank_p = 1 - pchisq(fu$chisq, length(fu$n) - 1)
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "table1_three.json")
