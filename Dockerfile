# pantau in a container: the README's install and run steps, on a slim Python, as a non-root user.
#   docker build -t pantau .
#   docker run -v pantau-state:/var/lib/pantau -v "$PWD/etc:/etc/pantau:ro" -p 127.0.0.1:8787:8787 pantau
# compose.yaml runs it beside PostgreSQL. The config is /etc/pantau/config.yaml (mount its folder, not the
# file, so that saved edits reach the running service); the state directory /var/lib/pantau is a volume
# (a SQLite database goes there: database: sqlite:////var/lib/pantau/pantau.db).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PANTAU_CONFIG=/etc/pantau/config.yaml \
    NO_COLOR=1

RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/pantau --create-home pantau

WORKDIR /opt/pantau
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
# The README's install step, with the PostgreSQL driver (tests/deploy checks that the two agree).
RUN python3 -m venv .venv && .venv/bin/pip install -q -e '.[postgres]'
ENV PATH=/opt/pantau/.venv/bin:$PATH

USER pantau
WORKDIR /var/lib/pantau
VOLUME ["/var/lib/pantau"]
EXPOSE 8787

# /healthz needs no password; it answers 503 (urlopen raises, exit 1) while the store is unavailable.
# The port is the one `web.listen` names in the config (deploy/compose/config.yaml: 0.0.0.0:8787).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8787/healthz', timeout=4)"]

# SIGTERM (docker stop) lets in-flight polls and deliveries finish; give it time: stop_grace_period 90s.
STOPSIGNAL SIGTERM
CMD ["pantau", "run"]
