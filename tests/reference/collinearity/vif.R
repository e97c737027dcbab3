# VIF fixture: car::vif of a linear model on scikit-survival's whas500 numeric predictors
# (whas500.csv, written by ../cox/make_data.py; the response does not matter for the VIF).
# Run from this folder: Rscript vif.R  (writes vif.json)
library(car)
library(jsonlite)
whas <- read.csv("whas500.csv")
fit <- lm(lenfol ~ age + bmi + hr + sysbp + diasbp + gender + chf + los, data = whas)
write(toJSON(as.list(vif(fit)), digits = NA, auto_unbox = TRUE, pretty = TRUE), "vif.json")
