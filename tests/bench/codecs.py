"""avro against fastavro on the hot path: encode and decode of the benchmark's OrderPaid records."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import avro.io
import avro.schema

from services.common.codec import Codec
from services.common.schemas import SCHEMAS_DIR
from services.loadgen.traffic import orders


def compare(count: int = 20_000) -> dict[str, Any]:
    records = [r for _, r in orders(count, seed=4, duplicate_rate=0)]
    codec = Codec()
    fast = _rate(lambda r: codec.decode(codec.encode("OrderPaid", r)), records)
    schema = avro.schema.parse((SCHEMAS_DIR / "OrderPaid.avsc").read_text())
    writer, reader = avro.io.DatumWriter(schema), avro.io.DatumReader(schema)

    def reference(record: dict[str, Any]) -> Any:
        out = io.BytesIO()
        writer.write(record, avro.io.BinaryEncoder(out))
        return reader.read(avro.io.BinaryDecoder(io.BytesIO(out.getvalue())))

    slow = _rate(reference, records[: count // 4])
    ours = codec.decode(codec.encode("OrderPaid", records[0])).record
    assert json.dumps(reference(records[0]), default=str) == json.dumps(ours, default=str), "codecs disagree"
    return {"fastavro_round_trips_per_s": fast, "avro_round_trips_per_s": slow, "speedup": fast / slow}


def _rate(fn: Any, records: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for record in records:
        fn(record)
    return len(records) / (time.perf_counter() - started)
