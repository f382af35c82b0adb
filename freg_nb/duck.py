"""The one way freg-nb opens DuckDB: sized for a laptop, temporary files only in the private data folder.

A bare ``duckdb.connect()`` may spill temporary files into the current working directory —
personal data outside the private folder. ``connect()`` never spills unless given a ``temp_dir``
(which callers take inside the data folder, ``DataDir.subdir``). File lists are passed as query
parameters (``read_json($files, …)``) or through the Python relation API, never quoted into SQL.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import duckdb

__all__ = ["connect", "copy_to_parquet", "parquet_view"]


def connect(*, threads: int | None = None, memory_limit: str | None = None,
            temp_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection: 2 threads and 1 GB unless ``FREG_NB_DUCKDB_THREADS`` /
    ``FREG_NB_DUCKDB_MEMORY`` say otherwise; spilling to disk only into ``temp_dir`` (a folder
    in the private data folder), else not at all."""
    threads = threads or int(os.environ.get("FREG_NB_DUCKDB_THREADS", "0") or 0) or min(2, os.cpu_count() or 1)
    memory_limit = memory_limit or os.environ.get("FREG_NB_DUCKDB_MEMORY") or "1GB"
    return duckdb.connect(config={"threads": threads, "memory_limit": memory_limit,
                                  "temp_directory": str(temp_dir) if temp_dir is not None else "",
                                  "autoinstall_known_extensions": False, "autoload_known_extensions": True})


def _literal(path: Path) -> str:
    return "'" + Path(path).as_posix().replace("'", "''") + "'"


def copy_to_parquet(con: duckdb.DuckDBPyConnection, select_sql: str, target: Path,
                    params: Mapping[str, Any] | None = None) -> int:
    """``COPY (select_sql) TO target`` as zstd Parquet; returns the rows written. DuckDB takes no
    parameter for the target, so it is the one path quoted here (escaped)."""
    sql = f"COPY ({select_sql}) TO {_literal(target)} (FORMAT parquet, COMPRESSION zstd)"
    return int(con.execute(sql, dict(params or {})).fetchall()[0][0])


def parquet_view(con: duckdb.DuckDBPyConnection, name: str, files: Sequence[Path], *, empty_sql: str) -> None:
    """A view ``name`` over the Parquet ``files`` (columns unified by name), or ``empty_sql`` when none."""
    if files:
        con.read_parquet([Path(f).as_posix() for f in files], union_by_name=True).create_view(name)
    else:
        con.execute(f"CREATE VIEW {name} AS {empty_sql}")
