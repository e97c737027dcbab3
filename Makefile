# hccdash: `make run` starts the app on the sample cohort; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST := 127.0.0.1
PORT ?= 8501

.PHONY: install run test bench sample browser clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	# make the project importable from any folder (python -m hccdash), like an editable install
	$(PY) -c 'import pathlib, site; pathlib.Path(site.getsitepackages()[0], "hccdash.pth").write_text(str(pathlib.Path.cwd()))'
	touch $(STAMP)

install: $(STAMP) browser

# Debian's chromium for the headless-browser test (Playwright cannot download one here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

sample: $(STAMP)
	$(PY) -m hccdash.sample --if-missing

run: $(STAMP) sample
	$(PY) serve.py --server.address $(HOST) --server.port $(PORT)

test: install sample
	$(PY) -m pytest -q

bench: $(STAMP) browser
	$(PY) bench/extract.py
	$(PY) bench/model.py
	$(PY) bench/sliders.py
	$(PY) bench/evaluation.py
	$(PY) bench/wide_tables.py
	$(PY) bench/hand_code.py
	$(PY) bench/deep.py

clean:
	rm -rf $(VENV) .pytest_cache
