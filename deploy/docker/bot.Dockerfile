# syntax=docker/dockerfile:1
# The bot env's image (Python 3.10, Rasa 3.6.21): the Rasa server (the default command) and the
# action server (`python -m rasa_extensions.action_server --actions actions --port 5055`). Built from the repository
# root after `make train` (the model is copied in, see below):
#   docker build -f deploy/docker/bot.Dockerfile -t support-assistant-bot:0.1.0 .
# Only what deploy/docker/bot.Dockerfile.dockerignore lets through is sent. docs/deployment.md.

# Pinned by version and digest (not pulled here: this machine has no container engine).
ARG PYTHON_IMAGE=python:3.10.19-slim-bookworm@sha256:23f63358922e79a794f71be8f3723c84e5ccca9638af3f74456dc73d6184499e

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/tmp \
    MPLCONFIGDIR=/tmp/matplotlib \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2 \
    FORCE_JSON_LOGGING=1 \
    SANIC_HOST=0.0.0.0
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /tmp --shell /usr/sbin/nologin app
WORKDIR /app

# Rasa and rasa-sdk at the versions .venv/bot runs (deploy/docker/bot.constraints.txt).
COPY pyproject.toml README.md ./
COPY deploy/docker/bot.constraints.txt /tmp/constraints.txt
RUN pip install --no-cache-dir --constraint /tmp/constraints.txt ".[bot]" \
    && rm -rf build ./*.egg-info /tmp/constraints.txt

COPY infra/ infra/
COPY stack/__init__.py stack/config.py stack/
COPY handoff/ handoff/
COPY outcomes/ outcomes/
COPY rasa_extensions/ rasa_extensions/
COPY actions/ actions/
COPY config/rasa-logging.yml config/
COPY deploy/rasa/endpoints.yml deploy/rasa/
COPY deploy/docker/redis_env.py deploy/docker/
# The trained model: `rasa train` needs the service's sentence vectors (NLU featurizer), so it
# runs before the build (`make train`, bot/models/assistant.tar.gz), not in it. Mount another
# model over /app/bot/models to change it without a rebuild.
COPY bot/ bot/

USER 10001:10001
EXPOSE 5005 5055
# Rasa's tracker and lock stores take their Redis from REDIS_URL (deploy/docker/redis_env.py).
ENTRYPOINT ["python", "deploy/docker/redis_env.py"]
CMD ["rasa", "run", "--model", "bot/models", "--endpoints", "deploy/rasa/endpoints.yml", \
     "--credentials", "bot/credentials.yml", "--interface", "0.0.0.0", "--port", "5005", \
     "--logging-config-file", "config/rasa-logging.yml"]
