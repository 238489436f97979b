"""Streaming writers: rows go to disk in batches, so memory does not grow with the export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from apps.exports.formats import Row

ROW_GROUP_SIZE = 2_000


class DatasetWriter(Protocol):
    path: Path
    rows: int

    def write(self, row: Row) -> None: ...
    def close(self) -> None: ...


class JsonlWriter:
    """One JSON object per line, UTF-8, no ASCII escaping."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path, self.rows = path, 0
        self._file = path.open("w", encoding="utf-8")
        self._encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def write(self, row: Row) -> None:
        self._file.write(self._encode(row) + "\n")
        self.rows += 1

    def close(self) -> None:
        self._file.close()


class ParquetWriter:
    """pyarrow's ParquetWriter, one row group per `ROW_GROUP_SIZE` rows."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path, self.rows, self._schema, self._row_type = path, 0, schema, pa.struct(schema)
        self._writer = pq.ParquetWriter(path, schema, compression="zstd")
        self._batch: list[Row] = []

    def write(self, row: Row) -> None:
        self._batch.append(row)
        self.rows += 1
        if len(self._batch) >= ROW_GROUP_SIZE:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            # One struct array for the batch: far faster than Table.from_pylist (dict per row).
            rows = pa.array(self._batch, type=self._row_type)
            self._writer.write_table(pa.Table.from_struct_array(rows))
            self._batch = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


WRITERS: dict[str, type[JsonlWriter] | type[ParquetWriter]] = {
    "jsonl": JsonlWriter, "parquet": ParquetWriter}
