# The assistant in a container: `docker build -t dvc-assistant .`, then see compose.yaml.
# No secret is baked in: tokens and DATABASE_URL come from the environment at run time.

# ---- build: dependencies into a virtual environment (compilers stay in this stage)
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
RUN pip install .

# ---- runtime: the virtual environment, the code and the knowledge; runs as a plain user
FROM python:3.11-slim AS runtime
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin assistant \
    && mkdir -p /data && chown assistant:assistant /data && chmod 0700 /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY bot ./bot
COPY knowledge ./knowledge
COPY run_bot.py ./
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATABASE_URL=sqlite:////data/assistant.db \
    LOG_FORMAT=json \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8080
VOLUME ["/data"]
USER assistant
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WEB_PORT', '8080'), timeout=2)"]
ENTRYPOINT ["python", "run_bot.py"]
CMD ["--role", "all"]
