# Two commands do everything on a fresh machine with Python 3.11:
#   make book   build the website into _build/html (every notebook executed)
#   make test   run the whole test suite
# Each target creates .venv and installs what it needs on first use, and
# reuses it afterwards.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HTML := _build/html
EXECUTED := _build/executed
JB_CACHE := _build/.jupyter_cache
PORT ?= 8000
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || echo /usr/bin/chromium)

# One BLAS thread: on two busy cores small matrix products run many times
# slower with two, and timings in the notebooks stay comparable.
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export BPCOURSE_CHROMIUM := $(CHROMIUM)

.PHONY: help book test serve lab student student-branch clean venv browser lint

help:
	@echo "make book     build the website into $(HTML) and print the path to open"
	@echo "make test     run every test: package, PyTorch oracle, checks, notebooks, site"
	@echo "make serve    serve $(HTML) on http://127.0.0.1:$(PORT)"
	@echo "make lab      open the notebooks in JupyterLab, with jupyterlab-myst (as on the website)"
	@echo "make student  write your own exercise notebooks into student/"
	@echo "make student-branch  write the learner notebooks to the branch the launch buttons open"
	@echo "make clean    remove build outputs (keeps .venv and student/)"

venv: $(STAMP)

# Reinstall only when the package's requirements change.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

# Notebooks that leave this machine (the site's downloads, the student branch
# that Colab opens) install bpcourse from the repository named in _config.yml.
INSTALL_FROM = $(shell $(BIN)/python -c "import yaml; r = yaml.safe_load(open('_config.yml'))['repository']; print('bpcourse @ git+' + r['url'] + '@' + r['branch'])")

book: $(STAMP)
	$(BIN)/jupyter-book build -W --keep-going .
	$(BIN)/bpcourse student --site $(HTML) --install-from "$(INSTALL_FROM)"
	@echo ""
	@echo "The book is built. Open file://$(CURDIR)/$(HTML)/index.html (or run: make serve)"

# The browser the site test drives: Debian's chromium. Installed here when
# missing and we are root (as in CI); otherwise we say how and stop.
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the site test..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The site test needs Debian's chromium. Install it with:"; \
	    echo "    sudo apt-get install chromium"; \
	    exit 1; \
	  fi; \
	fi

# Each notebook is executed once: nbval runs it as a test and saves what it
# produced; the book is then built from that cache, and the site is tested.
test: $(STAMP) browser
	rm -rf $(EXECUTED)
	PYTHONPATH=tests $(BIN)/python -m pytest -p nbval_cache -n 2 --dist loadfile \
	  -m "not site and not executed and not frontend" --nbval-lax --nbval-cell-timeout=120 tests notebooks
	$(BIN)/python tests/nbval_cache.py $(EXECUTED) $(JB_CACHE)
	$(MAKE) --no-print-directory book
	$(BIN)/python -m pytest -m "site or executed or frontend" tests

serve:
	@test -f $(HTML)/index.html || { echo "No site yet: run make book first."; exit 1; }
	@echo "Serving http://127.0.0.1:$(PORT) (Ctrl-C to stop)"
	$(or $(wildcard $(BIN)/python),$(PYTHON)) -m http.server $(PORT) --bind 127.0.0.1 --directory $(HTML)

# JupyterLab and jupyterlab-myst come pinned with the venv (the `lab` extra,
# part of `dev`); jupyterlab-myst renders the chapters' MyST (dropdowns,
# admonitions, equation references) as the website does.
lab: $(STAMP)
	$(BIN)/jupyter labextension enable jupyterlab-myst >/dev/null
	$(BIN)/jupyter lab notebooks/

student: $(STAMP)
	$(BIN)/bpcourse student --out student

# The launch buttons (Binder, Colab) open notebooks on the `student` branch
# (repository.branch in _config.yml): learner versions, no solutions. This
# target writes that branch from HEAD; publishing it is `git push origin student`.
student-branch: $(STAMP)
	rm -rf _build/student-branch && git worktree prune
	git worktree add --force -B student _build/student-branch HEAD
	cd _build/student-branch && $(CURDIR)/$(BIN)/bpcourse student --in-place notebooks --install-from "$(INSTALL_FROM)" \
	  && git add -A notebooks && git commit -q -m "Learner notebooks, generated from $$(git rev-parse --short HEAD)"
	git worktree remove --force _build/student-branch
	@echo "Branch 'student' holds the learner notebooks; publish it with: git push -f origin student"

lint: $(STAMP)
	$(BIN)/ruff check bpcourse tests benchmarks

clean:
	rm -rf _build .pytest_cache .hypothesis .ruff_cache
	find . -name __pycache__ -not -path "./.venv/*" -prune -exec rm -rf {} +
