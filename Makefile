# ydc: `make demo` runs the main job, `make test` passes the tests, on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ORACLE_VENV ?= .venv-datumaro
ORACLE_STAMP := $(ORACLE_VENV)/.installed
export YOLO_CONFIG_DIR ?= $(CURDIR)/.cache/ultralytics
export YOLO_OFFLINE ?= 1

.PHONY: install test demo bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[train,dev,s3]'
	touch $(STAMP)

# Datumaro and Label Studio's converter, test oracles, in their own environment (why: pyproject.toml, [tool.ydc.oracle-venv])
$(ORACLE_STAMP): pyproject.toml
	$(PYTHON) -m venv $(ORACLE_VENV)
	$(ORACLE_VENV)/bin/python -m pip install --quiet $$($(PY) -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["tool"]["ydc"]["oracle-venv"]["packages"]))')
	touch $(ORACLE_STAMP)

test: install $(ORACLE_STAMP)
	$(PY) -m pytest

demo: install
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PYTHON=$(PY) bash examples/demo.sh filesystem

bench: install
	$(PY) benchmarks/run.py $(BENCH_ARGS)
	$(PY) benchmarks/train.py

lint: install
	$(PY) -m ruff check ydc_cli tests benchmarks examples

clean:
	rm -rf $(VENV) $(ORACLE_VENV) .cache .pytest_cache build *.egg-info
