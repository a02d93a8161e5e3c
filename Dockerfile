# The collector for an ECS (or any container) fleet: `clickstream serve`, one worker process per CPU.
# The baked-in config (/etc/clickstream, root's) serves `docker run`; on AWS the entry point
# infra.container_config writes the composed one to $CLICKSTREAM_COMPOSED_CONFIG, which the user can write.
# Mount a volume at /data: it holds the write-ahead log (wal/), which must survive a task restart
# for the "a 200 is never lost" promise, and the local sink's raw/ files.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    CLICKSTREAM_CONFIG=/etc/clickstream/clickstream.yml \
    CLICKSTREAM_COMPOSED_CONFIG=/tmp/clickstream.yml

WORKDIR /app
# setup.py builds the ETL's optional compiled module when a C compiler is there (this slim image has
# none: the ETL takes pyarrow's path, same output; the collector does not use it).
COPY pyproject.toml setup.py README.md ./
COPY clickstream clickstream
COPY ingestion ingestion
COPY etl etl
COPY loader loader
COPY quicksight quicksight
# infra: the AWS containers' entry point (python -m infra.container_config); dbt_project: what
# `clickstream model` runs in the deployed modeling task (dbt.project_dir /app/dbt_project).
COPY infra infra
COPY dbt_project dbt_project
RUN pip install . && useradd --system --uid 10001 --home-dir /data clickstream \
    && mkdir -p /data /etc/clickstream && chown clickstream /data
COPY docker/clickstream.yml /etc/clickstream/clickstream.yml

USER clickstream
VOLUME ["/data"]
EXPOSE 8080
# SIGTERM (ECS stop) lets every worker finish its requests and ship its log; give it the time.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=2)"]
CMD ["clickstream", "serve", "--host", "0.0.0.0", "--port", "8080", "--log-level", "info"]
