# The project image: the collector by default (`clickstream serve`); the AWS tasks, the compose stack's
# scheduler and Studio run other commands of the same image. `docker build .` from a checkout, or from the
# self-contained context `clickstream infra package` writes (it holds exactly the files copied below).
#
# Stage 1 builds the wheel, stage 2 installs it: the image runs what `pip install` of the wheel runs, with
# the dbt project, rule tables, web assets, dashboard specs and templates as package data.
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md ./
COPY clickstream clickstream
COPY ingestion ingestion
COPY etl etl
COPY loader loader
COPY quicksight quicksight
COPY infra infra
COPY studio studio
COPY dbt_project dbt_project
# setup.py builds the optional compiled modules when a C compiler is there (this slim image has none: the
# pure-Python paths run, same output).
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# The baked-in config (/etc/clickstream, root's) serves `docker run`; on AWS the entry point
# clickstream.infra.container_config writes the composed one to $CLICKSTREAM_COMPOSED_CONFIG, which the user can write.
# Mount a volume at /data: it holds the write-ahead log (wal/), which must survive a task restart
# for the "a 200 is never lost" promise, the local sink's raw/ files and the local warehouse.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    CLICKSTREAM_CONFIG=/etc/clickstream/clickstream.yml \
    CLICKSTREAM_COMPOSED_CONFIG=/tmp/clickstream.yml

WORKDIR /app
COPY --from=wheel /wheels /tmp/wheels
# /app/dbt_project: the bundled project under the path the deployed modeling task's config names
# (dbt.project_dir); dbt writes its target/ and logs under <home>/dbt, never there.
RUN pip install /tmp/wheels/*.whl && rm -rf /tmp/wheels \
    && ln -s "$(python -c 'from clickstream.bundled import dbt_project; print(dbt_project())')" /app/dbt_project \
    && useradd --system --uid 10001 --home-dir /data clickstream \
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
