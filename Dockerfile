# syntax=docker/dockerfile:1
# OMC gRPC service. Build: docker build -t omc . (or `omc-deploy --env staging build`)

# Python 3.11 matches the interpreter constraints.txt was resolved with; both stages
# use the same base so the venv's interpreter path and ABI line up.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# A venv copies cleanly into the runtime stage and leaves pip's build leftovers behind.
RUN python -m venv /opt/omc
# Dependencies first, so a source-only change reuses this layer.
COPY constraints.txt pyproject.toml README.md ./
COPY src ./src
# Runtime dependencies only (no [dev] extra), at the pinned versions.
RUN /opt/omc/bin/pip install -c constraints.txt . \
 && /opt/omc/bin/pip uninstall --yes pip setuptools wheel

FROM python:3.11-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="omc" \
      org.opencontainers.image.description="Oh My Coins gRPC service"
# Fixed ids so file ownership and ECS/Kubernetes runAsNonRoot checks are predictable.
RUN groupadd --system --gid 10001 omc \
 && useradd --system --uid 10001 --gid omc --home-dir /home/omc --create-home \
    --shell /usr/sbin/nologin omc
COPY --from=build /opt/omc /opt/omc
ENV PATH="/opt/omc/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    OMC_HOME=/home/omc \
    OMC_GRPC_ADDRESS=0.0.0.0:50051 \
    OMC_LOG_FORMAT=json
USER omc:omc
WORKDIR /home/omc
EXPOSE 50051
# Asks grpc.health.v1.Health/Check through the same package, so no grpc_health_probe
# binary is needed. ECS uses the task definition's copy of this check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["omc", "health", "--address", "127.0.0.1:50051"]
ENTRYPOINT ["omc"]
CMD ["serve"]
