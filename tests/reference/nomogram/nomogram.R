# rms::nomogram points for a Cox (cph) and a logistic (lrm) model on lifelines' gbsg2.csv,
# and base R pretty() on assorted ranges. Run from this folder: Rscript nomogram.R
suppressPackageStartupMessages(library(rms))
library(jsonlite)
d <- read.csv("gbsg2.csv")
d$horTh <- factor(d$horTh)            # levels no, yes
d$tgrade <- factor(d$tgrade)          # levels I, II, III
d$post <- as.numeric(d$menostat == "Post")  # a 0/1 dummy (2 distinct values)
d$pn10 <- pmin(d$pnodes, 10)          # exactly 10 distinct values: rms keeps them as ticks
dd <- datadist(d); options(datadist = "dd")

axes_of <- function(nom, names) {
  lapply(setNames(names, names), function(n) list(values = nom[[n]][[1]], points = nom[[n]]$points))
}
patient_points <- function(fit, nom, names, rows) {
  info <- attr(nom, "info")
  terms <- predict(fit, newdata = d[rows, ], type = "terms", center.terms = FALSE)
  pts <- sapply(names, function(n) (terms[, n] - info$R[1, n]) * info$sc)
  list(rows = rows, points = lapply(setNames(names, names), function(n) unname(pts[, n])),
       total = unname(rowSums(pts)), lp = unname(predict(fit, newdata = d[rows, ], type = "lp")))
}
rows <- c(1, 2, 3, 50, 100, 250, 686)

# Cox: 1/2/3-year RFS axes
cfit <- cph(Surv(time, cens) ~ age + tsize + pn10 + horTh + tgrade + post, data = d,
            x = TRUE, y = TRUE, surv = TRUE)
surv <- Survival(cfit)
at <- c(0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1)
cnom <- nomogram(cfit, fun = list(function(x) surv(365, x), function(x) surv(730, x),
                                  function(x) surv(1095, x)),
                 funlabel = c("1-year RFS", "2-year RFS", "3-year RFS"), fun.at = at)
cnames <- c("age", "tsize", "pn10", "horTh", "tgrade", "post")
cinfo <- attr(cnom, "info")
cox <- list(
  coef = as.list(coef(cfit)), center = unname(cfit$center),
  baseline = unname(surv(c(365, 730, 1095), 0)),
  axes = axes_of(cnom, cnames), sc = cinfo$sc, intercept = unname(cinfo$Intercept),
  lp_at = cinfo$lp.at, total_points = cnom$total.points$x,
  fun = lapply(setNames(c("1-year RFS", "2-year RFS", "3-year RFS"), c("y1", "y2", "y3")),
               function(l) list(at = cnom[[l]]$x.real, points = cnom[[l]]$x)),
  patients = patient_points(cfit, cnom, cnames, rows)
)

# Logistic: probability axis
lfit <- lrm(cens ~ age + tsize + pn10 + horTh + post, data = d)
lnom <- nomogram(lfit, fun = plogis, funlabel = "Probability", fun.at = at)
lnames <- c("age", "tsize", "pn10", "horTh", "post")
linfo <- attr(lnom, "info")
logistic <- list(
  coef = as.list(coef(lfit)), axes = axes_of(lnom, lnames), sc = linfo$sc,
  intercept = unname(linfo$Intercept), lp_at = linfo$lp.at, total_points = lnom$total.points$x,
  fun = list(at = lnom$Probability$x.real, points = lnom$Probability$x),
  patients = patient_points(lfit, lnom, lnames, rows)
)

ranges <- list(c(21, 80), c(3, 120), c(0, 1), c(-2.37, 1.91), c(0.00123, 0.0456),
               c(-1e5, 3e5), c(5, 5), c(0, 0), c(-0.3, -0.0001), c(1e-10, 1.00000001e-10),
               c(0, 117.3), c(12.5, 12.5000001))
exact <- function(x) sprintf("%.17g", x)  # JSON numbers keep only 15 digits
pretty_out <- lapply(ranges, function(r) list(range = exact(r), n10 = exact(pretty(r, n = 10)),
                                              n5 = exact(pretty(r))))
writeLines(toJSON(list(cox = cox, logistic = logistic, pretty = pretty_out), digits = NA,
                  auto_unbox = TRUE, pretty = TRUE), "nomogram.json")
