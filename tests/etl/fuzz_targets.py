"""Fuzz target of the ETL's record decoder (tests/support/fuzzing.py): raw files of hostile lines.

Lines are raw records whose ``data`` is JSON, base64 of gzip, several members, cut, bombs, wrong types, or
the line is not a record at all; the file itself may be gzip. Every record becomes rows or rejects with a
known reason, nothing raises, and the caps hold.
"""

from __future__ import annotations

import base64
import gzip
import json

from hypothesis import strategies as st

from clickstream.contract import RejectReason
from clickstream.etl.process import process_content
from clickstream.payload import PayloadLimits
from tests.clickstream.fuzz_targets import bodies
from tests.support.etl import make_job
from tests.support.fuzzing import FuzzTarget, plain_harness

LIMITS = PayloadLimits(max_decoded_bytes=200_000, max_events=50)
JOB = make_job(freshness_hours=None, payload_limits=LIMITS)
REASONS = {reason.value for reason in RejectReason}

EVENT = {"event_id": "e", "app_id": "shop", "timestamp": 1_700_000_000_000, "event_type": "_page_view",
         "unique_id": "u"}  # fmt: skip
events = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "event_id": st.text(max_size=8) | st.integers(),
            "app_id": st.sampled_from(["shop", "uba-app", "other", ""]),
            "timestamp": st.integers(min_value=-(2**70), max_value=2**70) | st.text(max_size=5) | st.floats(),
            "event_type": st.text(max_size=10),
            "unique_id": st.text(max_size=8),
            "attributes": st.dictionaries(st.text(max_size=8), st.text(max_size=8) | st.integers(), max_size=3),
        },
    ).map(lambda drawn: {**EVENT, **drawn}),
    max_size=5,
).map(lambda value: json.dumps(value).encode())  # stdlib json: integers of any size, as a hostile writer

data_values = st.one_of(
    events.map(bytes.decode),
    events.map(lambda text: base64.b64encode(gzip.compress(text, mtime=0)).decode()),
    bodies.map(lambda body: body.decode("latin-1")),
    st.none() | st.integers() | st.lists(st.integers(), max_size=3),
)
records = st.builds(
    lambda data, app: json.dumps({"appId": app, "ingest_time": 1_700_000_000_000, "data": data}),
    data_values,
    st.sampled_from(["shop", "stranger"]),
).map(str.encode)
# A line of stray bytes, never opening the file with gzip's magic (that file would be read as gzip, and is
# then rejected whole as unreadable gzip, which tests/etl/test_raw_gzip.py covers).
stray = st.binary(max_size=100).map(lambda b: b"~" + b.replace(b"\n", b" "))
lines = st.lists(records | stray, min_size=1, max_size=6)
files = st.tuples(lines, st.booleans())


def check_file(drawn: tuple[list[bytes], bool]) -> None:
    lines, zipped = drawn
    content = b"\n".join(lines) + b"\n"
    if zipped:
        content = gzip.compress(content, mtime=0)
    output = process_content(content, "raw/fuzz.jsonl.gz", "fuzz", JOB)
    assert output.records == sum(1 for line in lines if line.strip())
    assert {reject["reason"] for reject in output.rejects} <= REASONS
    assert output.events.num_rows <= LIMITS.max_events * len(lines)


TARGETS = [FuzzTarget("etl-record-decoder", files, plain_harness(check_file))]
