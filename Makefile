# The two commands of the README:  make run  (install + local stack)  and  make test  (install + tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_CPU ?= 2.13.0
CHARTS := token_server/static/vendor/chart.umd.min.js

.PHONY: install system-deps browser run test lint bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed $(CHARTS)

# The dashboard's chart library, from the npm registry (package-lock.json), served by the token server itself.
# Without npm the dashboard still works, its charts replaced by a note (and the browser test skips, saying why).
$(CHARTS): token_server/web/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix token_server/web --no-audit --no-fund --silent && \
		mkdir -p $(dir $@) && cp token_server/web/node_modules/chart.js/dist/chart.umd.min.js $@; \
	else echo "npm (Node.js) not found: the dashboard's charts are not installed"; fi

# The transformers sentiment path (extra [sentiment]) needs torch: installed only where the CPU wheel is on disk
# (pip's find-links), never the multi-GB CUDA build from the registry; elsewhere its tests skip, saying why.
$(VENV)/.sentiment: $(VENV)/.installed
	@if $(BIN)/pip install --quiet --no-index --no-deps "torch==$(TORCH_CPU)" 2>/dev/null; then \
		$(BIN)/pip install --quiet "torch==$(TORCH_CPU)" -e ".[dev,sentiment]"; \
	else echo "no local CPU build of torch $(TORCH_CPU): the transformers sentiment tests will skip"; fi
	touch $@

# Debian packages: espeak-ng (the offline French voice, and French test speech), PortAudio (the `console` command).
system-deps:
	@if command -v espeak-ng >/dev/null && ldconfig -p | grep -q libportaudio; then :; \
	elif command -v apt-get >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends espeak-ng libportaudio2 >/dev/null; \
	else echo "install espeak-ng and PortAudio with your package manager"; fi

# Debian's Chromium, for the dashboard's browser test (Playwright drives /usr/bin/chromium; no browser download).
browser:
	@if command -v chromium >/dev/null; then :; \
	elif command -v apt-get >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	else echo "install Chromium to run the dashboard's browser test"; fi

run: install system-deps
	$(BIN)/python -m jarvis_agent.stack

lint: install
	$(BIN)/ruff check .

test: lint system-deps browser $(VENV)/.sentiment
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/tools_latency.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info token_server/web/node_modules token_server/static/vendor
