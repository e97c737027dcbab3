# LASSO fixtures for tests/stats/test_stats_lasso.py (run from this folder: Rscript lasso.R).
# Data: whas500.csv and breast_cancer.csv, written by make_data.py from scikit-survival's
# load_whas500 and scikit-learn's load_breast_cancer. Features are z-scored with scale()
# (sd with n - 1); glmnet is told standardize=FALSE, so it fits them as given.
suppressMessages({library(glmnet); library(survival); library(jsonlite)})

long_coef <- function(fit) {
  beta <- as.matrix(coef(fit))
  data.frame(lambda = rep(fit$lambda, each = nrow(beta)),
             feature = rep(rownames(beta), times = ncol(beta)),
             coef = as.vector(beta))
}

run <- function(name, x, y, family, fixed) {
  # coefficients at fixed lambdas, solved to convergence
  fit <- glmnet(x, y, family = family, standardize = FALSE, lambda = fixed, thresh = 1e-14,
                maxit = 1e7)
  write.csv(long_coef(fit), sprintf("%s_coef.csv", name), row.names = FALSE)
  # glmnet's own path (default grid, lambda.min.ratio and early stopping)
  path <- glmnet(x, y, family = family, standardize = FALSE, thresh = 1e-14, maxit = 1e7)
  write.csv(data.frame(lambda = path$lambda, df = path$df, dev_ratio = path$dev.ratio),
            sprintf("%s_path.csv", name), row.names = FALSE)
  write.csv(long_coef(path), sprintf("%s_path_coef.csv", name), row.names = FALSE)
  # cross-validation with the fixed fold ids saved in the data
  cv <- cv.glmnet(x, y, family = family, standardize = FALSE, foldid = foldid,
                  thresh = 1e-14, maxit = 1e7)
  write.csv(data.frame(lambda = cv$lambda, cvm = cv$cvm, cvsd = cv$cvsd, nzero = cv$nzero),
            sprintf("%s_cv.csv", name), row.names = FALSE)
  write_json(list(lambda_min = cv$lambda.min, lambda_1se = cv$lambda.1se,
                  null_deviance = path$nulldev),
             sprintf("%s_cv.json", name), digits = NA, auto_unbox = TRUE)
}

whas <- read.csv("whas500.csv")
foldid <- whas$foldid
x <- scale(as.matrix(whas[, 1:14]))
# Time in years: glmnet moves censored times 100 * .Machine$double.eps later so that they
# follow tied event times; above about 128 that shift is lost to rounding and a censored
# row may leave the risk set of its own time (days would show it; years do not).
run("cox", x, Surv(whas$lenfol / 365.25, whas$fstat), "cox", c(0.1, 0.02, 0.003))

# leave-one-out on the first 80 patients and 5 columns (folds without events get weight 0)
small <- whas[1:80, ]
xs <- scale(as.matrix(small[, c("age", "bmi", "hr", "sysbp", "chf")]))
loo <- cv.glmnet(xs, Surv(small$lenfol / 365.25, small$fstat), family = "cox", standardize = FALSE,
                 foldid = seq_len(nrow(small)), thresh = 1e-14, maxit = 1e7)
write.csv(data.frame(lambda = loo$lambda, cvm = loo$cvm, cvsd = loo$cvsd, nzero = loo$nzero),
          "cox_loo_cv.csv", row.names = FALSE)
write_json(list(lambda_min = loo$lambda.min, lambda_1se = loo$lambda.1se), "cox_loo_cv.json",
           digits = NA, auto_unbox = TRUE)

bc <- read.csv("breast_cancer.csv")
foldid <- bc$foldid
x <- scale(as.matrix(bc[, 1:10]))
run("binomial", x, bc$target, "binomial", c(0.05, 0.005, 0.0005))

packages <- c("glmnet", "survival", "Matrix", "jsonlite")
writeLines(c(system("R --version", intern = TRUE)[1],
             sprintf("%s %s", packages, sapply(packages, function(p) format(packageVersion(p))))),
           "VERSIONS.txt")
