# rms parity fixture: rcs knots and basis (Hmisc::rcspline.eval), validate() indices, calibrate()
# curves and nomogram axes of spline / log terms, for a Cox (cph) and a logistic (lrm) model on
# the public HCC-TACE-Seg clinical table (CC BY 4.0, TCIA doi:10.7937/TCIA.5FNA-0924).
# Run from this folder: Rscript rms_calibrate.R
# hcc_tace.csv is derived here from /work/shared/reference/hcc/HCC-TACE-Seg_clinical_data-V2_data_table.csv
# (columns renamed: time = OS in weeks, event = death, afp = AFP ng/ml, size = Tr_Size cm;
# er52 = death within 52 weeks, NA when censored before 52) and read back, so R and Python use
# the same numbers. The bootstrap resamples are R's own: predab.resample draws
# sample(n, replace = TRUE) once per resample and nothing else random, so after the same
# set.seed() the matrix written to *_resamples.csv (one column per resample, 1-based rows) holds
# exactly the rows validate() / calibrate() used.
suppressPackageStartupMessages({library(jsonlite); library(rms)})

src <- "/work/shared/reference/hcc/HCC-TACE-Seg_clinical_data-V2_data_table.csv"
if (file.exists(src)) {
  raw <- read.csv(src, check.names = FALSE)
  d <- data.frame(id = raw$TCIA_ID, time = raw$OS, event = raw$Death_1_StillAliveorLostToFU_0,
                  age = raw$age, afp = raw$AFP, sex = raw$Sex, size = raw$Tr_Size)
  d$er52 <- ifelse(d$time <= 52 & d$event == 1, 1, ifelse(d$time > 52, 0, NA))
  write.csv(d, "hcc_tace.csv", row.names = FALSE)
}
d <- read.csv("hcc_tace.csv")
d$afp5 <- pmax(d$afp, 5)      # a heavy tie at the minimum (fractied rule)
d$clip <- round(d$age / 10)   # seven distinct values (interior-values rule)
exact <- function(x) sprintf("%.17g", x)

# 1. knots (rcspline.eval(x, nk, knots.only = TRUE), rms::rcs's call) and basis (inclx = TRUE)
knot_vars <- list(age = d$age, log_afp = log(d$afp), size = d$size, afp5 = d$afp5, clip = d$clip)
knots <- lapply(knot_vars, function(x) lapply(setNames(3:7, paste0("nk", 3:7)), function(k)
  exact(suppressWarnings(rcspline.eval(x, nk = k, knots.only = TRUE)))))
grid <- c(20, 31, 45.5, 59, 69, 76, 88, 93, 100)
basis <- lapply(setNames(4:5, paste0("nk", 4:5)), function(k) {
  kn <- rcspline.eval(d$age, nk = k, knots.only = TRUE)
  m <- rcspline.eval(grid, knots = kn, inclx = TRUE)
  list(knots = exact(kn), x = grid, matrix = lapply(seq_len(ncol(m)), function(j) exact(m[, j])))
})

set_seed_indices <- function(seed, n, B) { set.seed(seed); replicate(B, sample(n, replace = TRUE)) }
B <- 30

# 2. Cox
dd <- datadist(d); options(datadist = "dd")
f <- cph(Surv(time, event) ~ rcs(age, 4) + log(afp) + sex, data = d, x = TRUE, y = TRUE,
         surv = TRUE, time.inc = 52)
set.seed(1401); vc <- validate(f, B = B)
write.csv(set_seed_indices(1401, nrow(d), B), "cox_validate_resamples.csv", row.names = FALSE)
set.seed(1402); cc <- calibrate(f, cmethod = "KM", method = "boot", u = 52, m = 25, B = B)
write.csv(set_seed_indices(1402, nrow(d), B), "cox_calibrate_resamples.csv", row.names = FALSE)
table_of <- function(v) c(list(index = rownames(v)), lapply(as.data.frame(unclass(v)[, , drop = FALSE]), unname))
cox <- list(
  coef = as.list(coef(f)), knots = exact(f$Design$parms$age), loglik = f$loglik,
  center = f$center, surv_u = unname(f$surv.summary[2, 1, 1]),
  predicted_u = unname(attr(cc, "predicted")),
  survfit_u = unname(summary(survfit(coxph(Surv(time, event) ~ rcs(age, 4) + log(afp) + sex, data = d,
                                           ties = "efron"), newdata = d[1:5, ]), times = 52)$surv[1, ]),
  validate = table_of(vc),
  calibrate = lapply(as.data.frame(unclass(cc)[, c("index.orig", "training", "test", "mean.optimism",
                                                   "mean.corrected", "n", "mean.predicted", "KM",
                                                   "KM.corrected", "std.err")]), unname)
)

# 3. logistic
de <- d[!is.na(d$er52), ]
g <- lrm(er52 ~ rcs(age, 3) + log(afp), data = de, x = TRUE, y = TRUE)
set.seed(1403); vl <- validate(g, B = B)
write.csv(set_seed_indices(1403, nrow(de), B), "logistic_validate_resamples.csv", row.names = FALSE)
set.seed(1404); cl <- calibrate(g, method = "boot", B = B)
write.csv(set_seed_indices(1404, nrow(de), B), "logistic_calibrate_resamples.csv", row.names = FALSE)
logistic <- list(
  ids = de$id, coef = as.list(coef(g)), knots = exact(g$Design$parms$age), stats = as.list(g$stats),
  validate = table_of(vl),
  calibrate = lapply(as.data.frame(unclass(cl)[, c("predy", "calibrated.orig", "calibrated.corrected",
                                                   "index.orig", "training", "test", "optimism", "n")]), unname)
)

# 4. lowess(x, y, iter = 0), as calibrate() smooths
lw <- lowess(plogis(predict(g)), de$er52, iter = 0)
lw3 <- lowess(de$age, log(de$afp))  # robustness iterations (iter = 3), R's default
lowess_out <- list(x = exact(plogis(predict(g))), y = de$er52, fit_x = exact(lw$x), fit_y = exact(lw$y),
                   robust = list(x = de$age, y = exact(log(de$afp)), fit_x = lw3$x, fit_y = exact(lw3$y)))

# 5. nomogram axes of the spline and log terms (lp axis)
# log(afp) over datadist's default ticks (pretty() of the range, from 0) gives log(0): rms stops and asks for
# values, so they are given (hccdash drops ticks <= 0 from a log axis the same way)
afp_ticks <- c(2, 10, 100, 1000, 10000, 1e5, 5e5)
nom <- nomogram(f, lp = TRUE, afp = afp_ticks)
info <- attr(nom, "info")
rows <- c(1, 2, 3, 50, 105)
terms <- predict(f, newdata = d[rows, ], type = "terms", center.terms = FALSE)
nomo <- list(sc = info$sc,
             axes = lapply(setNames(c("age", "afp", "sex"), c("age", "afp", "sex")),
                           function(n) list(values = nom[[n]][[1]], points = nom[[n]]$points)),
             limits = lapply(dd$limits[c("age", "afp")], unname),
             patients = list(rows = rows, age = unname((terms[, "age"] - info$R[1, "age"]) * info$sc),
                             afp = unname((terms[, "afp"] - info$R[1, "afp"]) * info$sc)))

# 6. inter-quartile effects of the spline and log terms, as summary(fit) reports them (q.effect = c(.25, .75))
effects_of <- function(fit, names) {
  s <- unclass(summary(fit))
  rows <- rownames(s)
  lapply(setNames(names, names), function(n) {
    i <- which(rows == n)
    list(low = s[i, "Low"], high = s[i, "High"], effect = s[i, "Effect"], se = s[i, "S.E."],
         lower = s[i, "Lower 0.95"], upper = s[i, "Upper 0.95"], ratio = s[i + 1, "Effect"],
         ratio_lower = s[i + 1, "Lower 0.95"], ratio_upper = s[i + 1, "Upper 0.95"])
  })
}
cox$effects <- effects_of(f, c("age", "afp"))
cox$var <- unname(lapply(seq_len(nrow(vcov(f))), function(i) vcov(f)[i, ]))
dde <- datadist(de); options(datadist = "dde")
g2 <- lrm(er52 ~ rcs(age, 3) + log(afp), data = de)
logistic$effects <- effects_of(g2, c("age", "afp"))
logistic$effect_coef <- as.list(coef(g2))
logistic$var <- unname(lapply(seq_len(nrow(vcov(g2))), function(i) vcov(g2)[i, ]))

writeLines(toJSON(list(knots = knots, basis = basis, cox = cox, logistic = logistic, lowess = lowess_out,
                       nomogram = nomo), digits = NA, auto_unbox = TRUE, pretty = TRUE), "rms_calibrate.json")
writeLines(c(R.version.string, paste("rms", packageVersion("rms")), paste("Hmisc", packageVersion("Hmisc")),
             paste("survival", packageVersion("survival")), paste("jsonlite", packageVersion("jsonlite")),
             "Data: hcc_tace.csv derived from HCC-TACE-Seg_clinical_data-V2 (TCIA, CC BY 4.0; see rms_calibrate.R)"),
           "VERSIONS.txt")
