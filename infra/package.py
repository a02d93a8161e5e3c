"""`clickstream infra package`: build every artefact of a deployment, offline and without docker.

Under the build folder:

* ``artifacts/``: the files `deploy` uploads, named by content hash: the base config, the Spark job's
  ``--py-files`` zip and entry point, and the dbt project bundle (what the image holds, for review);
* ``image/`` and ``image.tar.gz``: the self-contained docker build context of the project image: the
  repository's Dockerfile and exactly the files it copies (the packaging files, the packages, the dbt
  project, the image's default config); its first stage builds the wheel, the second installs it; build and
  push it with docker or any OCI builder;
* ``emr-image/``: Dockerfile and pinned requirements of the EMR Serverless custom image (Python 3.11 and
  the Spark job's third-party dependencies at the versions installed here);
* ``manifest.json``: every artefact with its S3 key and sha256, plus the image build commands.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from clickstream.config import Config
from clickstream.errors import ClickstreamError
from clickstream.infra import spark_bundle
from clickstream.infra.render import Rendered, render

# Besides what the Dockerfile copies: the Dockerfile itself and what keeps local state out of the build.
IMAGE_BUILD_FILES = ("Dockerfile", ".dockerignore")
_SKIP_NAMES = {"__pycache__", "target", "logs", "dbt_packages", ".user.yml", "package-lock.yml"}
# Not needed by the Spark job: the dbt adapters and the HTTP server stack.
_NOT_FOR_SPARK = ("dbt-", "uvicorn", "httptools", "uvloop", "confluent-kafka", "selenium")
_MTIME = 315532800  # 1980-01-01: tarballs are byte-for-byte reproducible


@dataclass
class Packaged:
    rendered: Rendered
    out_dir: Path
    dbt_bundle_key: str
    manifest: dict[str, object]


def source_root() -> Path:
    """The checkout holding the Dockerfile (package needs the source tree, not an installed wheel)."""
    root = spark_bundle.package_folder(spark_bundle.PACKAGE).parent
    if not (root / "Dockerfile").is_file() or not (root / "dbt_project" / "dbt_project.yml").is_file():
        raise ClickstreamError(
            f"no Dockerfile and dbt_project/ next to the installed packages ({root})",
            hint="run `clickstream infra package` from a checkout of the repository (pip install -e .)",
        )
    return root


def _ignore(folder: str, names: list[str]) -> set[str]:
    return {
        name for name in names if name in _SKIP_NAMES or name.endswith((".pyc", ".so", ".duckdb", ".wal", ".egg-info"))
    }


def dockerfile_sources(dockerfile: str) -> list[str]:
    """The context paths a Dockerfile's COPY and ADD instructions read (not those copied from a build stage)."""
    sources: list[str] = []
    for line in dockerfile.replace("\\\n", " ").splitlines():
        words = line.split()
        if len(words) < 3 or words[0].upper() not in ("COPY", "ADD"):
            continue
        arguments = words[1:]
        if any(word.startswith("--from=") for word in arguments):
            continue
        paths = [word for word in arguments if not word.startswith("--")]
        sources += [path.rstrip("/") for path in paths[:-1] if path.rstrip("/") not in sources]
    return sources


def image_context(root: Path) -> tuple[str, ...]:
    """What the project image's build reads from a checkout: exactly what its Dockerfile copies."""
    sources = dockerfile_sources((root / "Dockerfile").read_text(encoding="utf-8"))
    return (*IMAGE_BUILD_FILES, *(name for name in sources if name not in IMAGE_BUILD_FILES))


def _tarball(folder: Path, arcname: str) -> bytes:
    buffer = io.BytesIO()

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mtime, info.uid, info.gid, info.uname, info.gname = _MTIME, 0, 0, "", ""
        return info

    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.add(path, arcname=f"{arcname}/{path.relative_to(folder).as_posix()}", filter=clean)
    # gzip stores a time too: rewrite it so the bytes only depend on the content.
    data = bytearray(buffer.getvalue())
    data[4:8] = b"\0\0\0\0"
    return bytes(data)


# From the `spark` extra, what the EMR image needs besides the core dependencies: pandas (the job's
# mapInArrow/pandas_udf steps need it). pyspark itself is EMR's own (Spark 3.5 on EMR 7.x), never pip's.
_SPARK_EXTRA_FOR_EMR = ("pandas",)


def spark_requirements() -> list[str]:
    """The Spark job's third-party dependencies, pinned to what is installed here (tested together)."""
    pins = []
    for text in metadata.requires(spark_bundle.DISTRIBUTION) or []:
        requirement = Requirement(text)
        if requirement.marker is not None and "extra" in str(requirement.marker):
            if requirement.marker.evaluate({"extra": "spark"}) and requirement.name.lower() in _SPARK_EXTRA_FOR_EMR:
                pins.append(f"{requirement.name}=={metadata.version(requirement.name)}")
            continue
        if requirement.name.lower().startswith(_NOT_FOR_SPARK):
            continue
        pins.append(f"{requirement.name}=={metadata.version(requirement.name)}")
    return sorted(pins, key=str.lower)


EMR_DOCKERFILE = """\
# EMR Serverless custom image for the clickstream Spark ETL, written by `clickstream infra package`.
# EMR 7 images ship Python 3.9; the project needs 3.11 and compiled wheels (pyarrow, ua-parser-rs, ...).
# Build for linux/amd64 and push to ECR, then set infra.spark_image_uri:
#   docker build --platform linux/amd64 -t $REPO:emr-$TAG . && docker push $REPO:emr-$TAG
# The repository's policy must let emr-serverless.amazonaws.com pull (docs/deploy-aws.md).
FROM public.ecr.aws/emr-serverless/spark/{release}:latest
USER root
RUN dnf install -y python3.11 python3.11-pip && dnf clean all
COPY requirements.txt /tmp/clickstream-requirements.txt
RUN python3.11 -m pip install --no-cache-dir -r /tmp/clickstream-requirements.txt
# The project's own code comes with each job run (--py-files), so code releases need no new image.
USER hadoop:hadoop
"""


def package(config: Config, out_dir: Path | None = None) -> Packaged:
    rendered = render(config, out_dir)
    out = rendered.out_dir
    root = source_root()
    keys = rendered.keys

    artifacts = out / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / Path(keys.base_config).name).write_text(rendered.base_config_text, encoding="utf-8")
    (artifacts / Path(keys.spark_code).name).write_bytes(rendered.spark_code)
    (artifacts / Path(keys.spark_entry).name).write_bytes(rendered.spark_entry)

    image = out / "image"
    if image.exists():
        shutil.rmtree(image)
    image.mkdir(parents=True)
    for name in image_context(root):
        (image / name).parent.mkdir(parents=True, exist_ok=True)
        source = root / name
        if source.is_dir():
            shutil.copytree(source, image / name, symlinks=True, ignore=_ignore)
        else:
            shutil.copy2(source, image / name)
    (out / "image.tar.gz").write_bytes(_tarball(image, "image"))

    dbt_bundle = _tarball(image / "dbt_project", "dbt_project")
    dbt_key = f"{config.infra.artifact_prefix}dbt/dbt_project-{hashlib.sha256(dbt_bundle).hexdigest()[:16]}.tar.gz"
    (artifacts / Path(dbt_key).name).write_bytes(dbt_bundle)

    release = str(config.infra.parameters.get("EmrReleaseLabel", "emr-7.5.0"))
    emr = out / "emr-image"
    emr.mkdir(exist_ok=True)
    (emr / "Dockerfile").write_text(EMR_DOCKERFILE.replace("{release}", release), encoding="utf-8")
    (emr / "requirements.txt").write_text("\n".join(spark_requirements()) + "\n", encoding="utf-8")

    def entry(key: str, data: bytes) -> dict[str, str]:
        return {"key": key, "file": f"artifacts/{Path(key).name}", "sha256": hashlib.sha256(data).hexdigest()}

    manifest: dict[str, object] = {
        "stack_name": config.infra.stack_name,
        "artifact_bucket": config.infra.artifact_bucket,
        "templates": {name: keys.template_key(name) for name in rendered.templates},
        "base_config": entry(keys.base_config, rendered.base_config_text.encode()),
        "spark_code": entry(keys.spark_code, rendered.spark_code),
        "spark_entry": entry(keys.spark_entry, rendered.spark_entry),
        "dbt_bundle": entry(dbt_key, dbt_bundle),
        "image_context": "image/",
        "emr_image_context": "emr-image/",
        "build": [
            "docker build --platform linux/amd64 -t $REPO:$TAG image/ && docker push $REPO:$TAG",
            "docker build --platform linux/amd64 -t $REPO:emr-$TAG emr-image/ && docker push $REPO:emr-$TAG",
        ],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return Packaged(rendered, out, dbt_key, manifest)
