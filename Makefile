# Two commands do everything on a fresh machine with Python 3.11:
#   make demo   create .venv, install metanum with its extras, run the tour
#   make test   same set-up, then the default test suite
#   make docs   the documentation site into site/ (mkdocs --strict); make notebooks re-executes them
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow bench docs notebooks clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/tour.py

test: $(STAMP)
	$(PY) -m pytest -q -n 2

test-slow: $(STAMP)
	$(PY) -m pytest -q -n 2 -m slow

$(VENV)/.bench-installed: $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]' || echo "the bench extra failed to install; peer rows will say 'not installed'"
	# numbalsoda builds from source and needs gfortran (Debian: apt-get install gfortran)
	$(PY) -m pip install --quiet 'numbalsoda>=0.3.4' || echo "numbalsoda not installed (needs gfortran); its rows will say so"
	@touch $@

bench: $(VENV)/.bench-installed
	$(PY) benchmarks/run_all.py

# The site: API reference from the docstrings, guides, the committed notebooks as a gallery.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

# Re-execute every notebook generator (full setting) and store the outputs in the .ipynb files.
notebooks: $(STAMP)
	cd notebooks && for g in make_[0-9]*.py; do OMP_NUM_THREADS=1 ../$(PY) $$g || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info site .cache
