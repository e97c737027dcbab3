# Logistic fixtures: glm(family = binomial) coefficients, SEs, loglik, predictions and
# anova of nested fits, on sklearn's breast cancer data (breast_cancer.csv: five columns,
# malignant = 1) and scikit-survival's whas500 (whas500_death1y.csv: death within 365 days),
# both written by make_data.py.
# Run from this folder: Rscript logistic.R  (writes logistic.json)
library(jsonlite)
bc <- read.csv("breast_cancer.csv")
wd <- read.csv("whas500_death1y.csv")
tight <- glm.control(epsilon = 1e-14, maxit = 100)  # tighter than the default 1e-8
fit_out <- function(fit) {
  s <- summary(fit)$coefficients
  list(coef = as.list(coef(fit)), se = as.list(s[, "Std. Error"]), p = as.list(s[, "Pr(>|z|)"]),
       loglik = as.numeric(logLik(fit)), null_deviance = fit$null.deviance,
       vcov = unname(vcov(fit)), link = unname(predict(fit))[1:5],
       response = unname(predict(fit, type = "response"))[1:5],
       ci = unname(exp(confint.default(fit))))
}
out <- list()
big_bc <- glm(malignant ~ radius + texture + smoothness + concavity + symmetry, binomial,
              data = bc, control = tight)
small_bc <- glm(malignant ~ radius + texture, binomial, data = bc, control = tight)
out$bc <- fit_out(big_bc)
out$bc_small <- fit_out(small_bc)
a <- anova(small_bc, big_bc, test = "Chisq")
out$bc_anova <- list(chisq = a$Deviance[2], df = a$Df[2], p = a[["Pr(>Chi)"]][2])

big_w <- glm(death1y ~ age + bmi + hr + sysbp + gender + chf, binomial, data = wd, control = tight)
small_w <- glm(death1y ~ age + chf, binomial, data = wd, control = tight)
out$whas <- fit_out(big_w)
a <- anova(small_w, big_w, test = "Chisq")
out$whas_anova <- list(chisq = a$Deviance[2], df = a$Df[2], p = a[["Pr(>Chi)"]][2])
write(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "logistic.json")
