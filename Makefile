# The two commands of the README:  make run  (install + local stack)  and  make test  (install + tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install system-deps run test lint bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Debian packages: espeak-ng (the offline French voice, and French test speech), PortAudio (the `console` command).
system-deps:
	@if command -v espeak-ng >/dev/null && ldconfig -p | grep -q libportaudio; then :; \
	elif command -v apt-get >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends espeak-ng libportaudio2 >/dev/null; \
	else echo "install espeak-ng and PortAudio with your package manager"; fi

run: install system-deps
	$(BIN)/python -m jarvis_agent.stack

lint: install
	$(BIN)/ruff check .

test: lint system-deps
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/tools_latency.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
