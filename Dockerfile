# syntax=docker/dockerfile:1
#
# Jarvis images, one Dockerfile, four targets (DEPLOYMENT.md; the reference stack is deploy/compose.yaml):
#
#   agent-gpu     the voice worker (python -m jarvis_agent start) with Chatterbox on an NVIDIA GPU; the worker
#                 launches one TTS engine for the host (python -m jarvis_agent.tts_engine serve) itself
#   agent-cpu     the voice worker with the espeak-ng voice, or a remote TTS engine (JARVIS_TTS_ENGINE_URL)
#   analytics     the RQ analytics worker (python -m analytics worker)
#   token-server  the kiosk / dashboard API and its pages (python -m token_server serve)
#
#   docker build --target agent-cpu -t jarvis-agent-cpu .
#
# Layers are ordered for the cache: the Python dependencies are installed from pyproject.toml alone (with empty
# stand-in packages), so editing the source rebuilds only the thin layers that copy it. Each final image runs as
# the unprivileged user "jarvis" under tini (signals forwarded, the worker's job processes reaped), keeps its state
# in JARVIS_DATA_DIR=/var/lib/jarvis (a volume in the compose stack) and has a HEALTHCHECK (deploy/healthcheck.py).

# --- the web assets: Chart.js for /dashboard, the livekit-client bundle for /kiosk (token_server/web, npm) -------
FROM node:22-bookworm-slim AS web
WORKDIR /src/token_server/web
COPY token_server/web/package.json token_server/web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY token_server/web/ ./
COPY token_server/static/ ../static/
# `npm run build` when package.json has a build script (it bundles into ../static/vendor/); Chart.js is copied as
# the Makefile does.
RUN if node -e "process.exit(require('./package.json').scripts?.build ? 0 : 1)"; then npm run build; fi \
    && mkdir -p ../static/vendor \
    && if [ ! -f ../static/vendor/chart.umd.min.js ]; then \
         cp node_modules/chart.js/dist/chart.umd.min.js ../static/vendor/; fi

# --- the source tree, as the images run it: /app with the three packages and the migrations --------------------
# (settings.REPO_ROOT is the folder above jarvis_agent/, so supabase/migrations is found at /app/supabase/migrations)
FROM scratch AS source
COPY pyproject.toml /app/
COPY supabase/ /app/supabase/
COPY jarvis_agent/ /app/jarvis_agent/
COPY analytics/ /app/analytics/
COPY token_server/ /app/token_server/
COPY deploy/healthcheck.py /app/deploy/healthcheck.py

# --- CPU images: Python 3.11 on Debian bookworm -------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS python-base
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# The dependencies of pyproject.toml in /opt/venv: only pyproject.toml is copied, the packages are empty stand-ins,
# and the stand-in distribution is uninstalled afterwards (the images run the source from /app).
FROM python-base AS deps-cpu
WORKDIR /build
COPY pyproject.toml ./
RUN python -m venv /opt/venv \
    && mkdir jarvis_agent analytics token_server \
    && touch README.md jarvis_agent/__init__.py analytics/__init__.py token_server/__init__.py \
    && pip install --no-cache-dir . \
    && pip uninstall --yes jarvis-gym

FROM python-base AS runtime-cpu
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 jarvis \
    && useradd --system --uid 10001 --gid jarvis --create-home --home-dir /home/jarvis \
         --shell /usr/sbin/nologin jarvis \
    && install -d -o jarvis -g jarvis /var/lib/jarvis
ENV PYTHONPATH=/app \
    JARVIS_DATA_DIR=/var/lib/jarvis \
    LOG_FORMAT=json
WORKDIR /app
ENTRYPOINT ["/usr/bin/tini", "--"]

# The voice worker without a GPU: the espeak-ng French voice (Debian's espeak-ng), or Chatterbox through a TTS
# engine running elsewhere (JARVIS_TTS=chatterbox and JARVIS_TTS_ENGINE_URL=http://gpu-host:8790).
FROM runtime-cpu AS agent-cpu
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng \
    && rm -rf /var/lib/apt/lists/*
COPY --from=deps-cpu /opt/venv /opt/venv
COPY --from=source /app /app
RUN python -m compileall -q /app
ENV JARVIS_TTS=espeak
USER 10001:10001
# No download-files step here: Silero's model ships in its wheel, and the only other plugin's files (the Chatterbox
# checkpoint, gigabytes) belong to the GPU image or to the remote engine's host.
# 8081: LiveKit's worker health endpoint (GET /); 9464: Prometheus (JARVIS_METRICS_PORT)
EXPOSE 8081 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py", "agent"]
CMD ["python", "-m", "jarvis_agent", "start"]

FROM runtime-cpu AS analytics
COPY --from=deps-cpu /opt/venv /opt/venv
COPY --from=source /app /app
RUN python -m compileall -q /app
USER 10001:10001
# 9465: Prometheus (JARVIS_ANALYTICS_METRICS_PORT)
EXPOSE 9465
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py", "analytics"]
CMD ["python", "-m", "analytics", "worker"]

FROM runtime-cpu AS token-server
COPY --from=deps-cpu /opt/venv /opt/venv
COPY --from=source /app /app
COPY --from=web /src/token_server/static/ /app/token_server/static/
RUN python -m compileall -q /app
USER 10001:10001
# /healthz, /readyz, /metrics, /docs, /dashboard, /kiosk on JARVIS_TOKEN_SERVER_PORT (8080); every interface, since
# a container's loopback is its own (TLS and the client IP: a reverse proxy in front, JARVIS_TRUSTED_PROXIES)
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py", "token-server"]
CMD ["python", "-m", "token_server", "serve", "--host", "0.0.0.0"]

# --- GPU image: CUDA 12.4, Python 3.11, torch 2.6 (the version chatterbox-tts 0.1.7 pins) -------------------------
# The base is CUDA's smallest flavour: torch's wheels bring their own CUDA 12.4 runtime and cuDNN (the nvidia-*
# wheels), so a cudnn-runtime base would only add gigabytes of second copies. Ubuntu 22.04 has no Python 3.11
# release package: uv installs a standalone CPython 3.11 build. The host needs an NVIDIA driver for CUDA 12.4
# (>= 550) and the NVIDIA Container Toolkit.
FROM ghcr.io/astral-sh/uv:0.8.14 AS uv

FROM nvidia/cuda:12.4.1-base-ubuntu22.04 AS gpu-base
ENV DEBIAN_FRONTEND=noninteractive \
    LANG=C.UTF-8 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PYTHON_INSTALL_DIR=/opt/python \
    UV_PYTHON_PREFERENCE=only-managed \
    UV_NO_CACHE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    JARVIS_DATA_DIR=/var/lib/jarvis \
    LOG_FORMAT=json \
    JARVIS_TTS=chatterbox \
    JARVIS_TTS_DEVICE=cuda \
    CHATTERBOX_CKPT_DIR=/opt/jarvis/models/chatterbox
COPY --from=uv /uv /usr/local/bin/uv
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates espeak-ng tini \
    && rm -rf /var/lib/apt/lists/* \
    && uv python install 3.11 \
    && uv venv --seed --python 3.11 /opt/venv \
    && groupadd --system --gid 10001 jarvis \
    && useradd --system --uid 10001 --gid jarvis --create-home --home-dir /home/jarvis \
         --shell /usr/sbin/nologin jarvis \
    && install -d -o jarvis -g jarvis /var/lib/jarvis /opt/jarvis/models/chatterbox
ENTRYPOINT ["/usr/bin/tini", "--"]

# torch / torchaudio from PyPI (built for CUDA 12.4), the [chatterbox] extra (chatterbox-tts's real dependencies),
# then chatterbox-tts itself without its dependencies (its pins would replace torch).
FROM gpu-base AS deps-gpu
ARG TORCH_VERSION=2.6.0
WORKDIR /build
COPY pyproject.toml ./
RUN mkdir jarvis_agent analytics token_server \
    && touch README.md jarvis_agent/__init__.py analytics/__init__.py token_server/__init__.py \
    && pip install --no-cache-dir "torch==${TORCH_VERSION}" "torchaudio==${TORCH_VERSION}" "./[chatterbox]" \
    && pip install --no-cache-dir --no-deps chatterbox-tts==0.1.7 \
    && pip uninstall --yes jarvis-gym
WORKDIR /app

# The Chatterbox checkpoint (gigabytes) for CHATTERBOX_CKPT_DIR, in a stage of its own. download-files fetches it
# into a BuildKit cache that outlives builds, so a rebuild after a source change finds it there (no network), and
# copies the same files with the same metadata: the final image's COPY of them is a cache hit, nothing to re-push.
# Offline, the plugin logs what is missing and the folder stays empty (the compose stack keeps it in a volume that
# `docker compose run --rm agent python -m jarvis_agent download-files` fills later).
FROM deps-gpu AS models-gpu
COPY --from=source /app /app
USER 10001:10001
RUN --mount=type=cache,target=/home/jarvis/.cache/checkpoints,uid=10001,gid=10001 \
    if ! CHATTERBOX_CKPT_DIR=/home/jarvis/.cache/checkpoints/chatterbox python -m jarvis_agent download-files; then \
        echo "download-files failed (offline build?): fetch the checkpoint at deploy time, see DEPLOYMENT.md"; \
    fi \
    && if [ -d /home/jarvis/.cache/checkpoints/chatterbox ]; then \
        cp -a /home/jarvis/.cache/checkpoints/chatterbox/. /opt/jarvis/models/chatterbox/ \
        && rm -rf /opt/jarvis/models/chatterbox/.cache; \
    fi

FROM deps-gpu AS agent-gpu
COPY --from=models-gpu --chown=10001:10001 /opt/jarvis/models/ /opt/jarvis/models/
COPY --from=source /app /app
RUN python -m compileall -q /app
USER 10001:10001
# 8081: LiveKit's worker health endpoint (GET /); 9464: Prometheus (JARVIS_METRICS_PORT); 8790: the TTS engine
# (JARVIS_TTS_ENGINE_PORT; bound to 127.0.0.1 unless JARVIS_TTS_ENGINE_HOST says otherwise)
EXPOSE 8081 9464 8790
# The worker starts serving its health endpoint once the engine has loaded the model (JARVIS_TTS_ENGINE_START_TIMEOUT_S)
HEALTHCHECK --interval=30s --timeout=5s --start-period=300s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py", "agent"]
CMD ["python", "-m", "jarvis_agent", "start"]
