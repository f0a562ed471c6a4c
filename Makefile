# The two commands of the README:  make run  (install + local stack)  and  make test  (install + tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_CPU ?= 2.13.0
CHATTERBOX ?= 0.1.7
CHARTS := token_server/static/vendor/chart.umd.min.js
KIOSK_JS := token_server/static/vendor/kiosk.js

.PHONY: install system-deps browser chatterbox run test lint bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed $(CHARTS) $(KIOSK_JS)

# The browser code, from the npm registry (package-lock.json), served by the token server itself: the dashboard's
# chart library, and the kiosk page (token_server/web/src) bundled with livekit-client by esbuild (`npm run build`).
# Without npm the dashboard still works, its charts replaced by a note; /kiosk has no script (and the browser tests
# skip, saying why).
$(CHARTS): token_server/web/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix token_server/web --no-audit --no-fund --silent && \
		mkdir -p $(dir $@) && cp token_server/web/node_modules/chart.js/dist/chart.umd.min.js $@; \
	else echo "npm (Node.js) not found: the dashboard's charts are not installed"; fi

$(KIOSK_JS): $(CHARTS) token_server/web/package.json $(wildcard token_server/web/src/*.js)
	@if command -v npm >/dev/null && [ -d token_server/web/node_modules/livekit-client ]; then \
		npm run build --prefix token_server/web --silent; \
	else echo "npm (Node.js) or token_server/web/node_modules not found: the kiosk page's code is not built"; fi

# The transformers sentiment path (extra [sentiment]) needs torch: installed only where the CPU wheel is on disk
# (pip's find-links), never the multi-GB CUDA build from the registry; elsewhere its tests skip, saying why.
$(VENV)/.sentiment: $(VENV)/.installed
	@if $(BIN)/pip install --quiet --no-index --no-deps "torch==$(TORCH_CPU)" 2>/dev/null; then \
		$(BIN)/pip install --quiet "torch==$(TORCH_CPU)" -e ".[dev,sentiment]"; \
	else echo "no local CPU build of torch $(TORCH_CPU): the transformers sentiment tests will skip"; fi
	touch $@

# The Chatterbox architecture tests (random weights, CPU) where torch is installed: the [chatterbox] extra and
# chatterbox-tts without its pins. PyPI's torchaudio is a CUDA build whose compiled extension cannot load next to the
# CPU torch; Chatterbox only uses torchaudio's pure-Python resampler and Kaldi fbank, so that extension is removed.
$(VENV)/.chatterbox: $(VENV)/.sentiment
	@if $(BIN)/python -c "import torch" 2>/dev/null; then \
		$(BIN)/pip install --quiet "torch==$$($(BIN)/python -c 'import torch; print(torch.__version__.split("+")[0])')" \
			-e ".[dev,sentiment,chatterbox]" && \
		$(BIN)/pip install --quiet --no-deps "chatterbox-tts==$(CHATTERBOX)" && \
		{ $(BIN)/python -c "import torchaudio" 2>/dev/null || { \
			echo "torchaudio's CUDA extension does not load with this CPU torch: removing it (pure-Python use only)"; \
			rm -f $(VENV)/lib/python3*/site-packages/torchaudio/lib/*.so; }; }; \
	else echo "no torch: the Chatterbox architecture tests will skip"; fi
	touch $@

# A GPU host: CUDA torch from PyPI, the [chatterbox] extra, chatterbox-tts without its pins (see DEPLOYMENT.md).
chatterbox: install
	$(BIN)/pip install --quiet -e ".[chatterbox]"
	$(BIN)/pip install --quiet --no-deps "chatterbox-tts==$(CHATTERBOX)"

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

test: lint system-deps browser $(VENV)/.chatterbox
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/tools_latency.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info token_server/web/node_modules token_server/static/vendor
