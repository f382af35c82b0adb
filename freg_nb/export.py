"""Exports: one module, one CSV dialect for every export, files 0600 written atomically via ``DataDir``.

CSV is Excel-Norway's dialect: ``;`` between fields and UTF-8 with a byte-order mark, so Excel
with Norwegian settings opens it with æøå intact and numbers in their own cells. Excel files hold
one sheet per table; Parquet the main table. Callers have already applied the privacy rules
(masking, protected addresses); the export never adds identifiers back.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import pandas as pd

from . import privacy
from .display import excel_csv
from ._connect import resolve_client
from .errors import InputError
from .extract_records import DONE, check_name, state_rel, store_of
from .messages import msg

if TYPE_CHECKING:
    from .client import FregClient
    from .store import DataDir

__all__ = ["CSV_ENCODING", "CSV_SEP", "EXCEL_MAX_ROWS", "EXPORT_FORMATS", "csv_bytes", "excel_ready",
           "export_extract", "export_tables"]

EXPORT_FORMATS = ("parquet", "csv", "xlsx")
EXCEL_MAX_ROWS = 1_048_575
CSV_SEP = ";"
CSV_ENCODING = "utf-8-sig"


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The table as CSV in the one dialect of every export: ``;``, decimal comma, UTF-8 with BOM,
    times in Oslo, and a Norwegian label column beside each code column (``display.excel_csv``)."""
    return excel_csv(df)


def excel_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Excel cannot hold time zones, Arrow-only types or pandas' NA: convert them."""
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[c] = s.dt.tz_convert("UTC").dt.tz_localize(None)
        elif (isinstance(s.dtype, pd.ArrowDtype) or not pd.api.types.is_numeric_dtype(s)
              or pd.api.types.is_bool_dtype(s)):
            out[c] = s.astype("object").where(s.notna(), None)
    return out


def export_tables(store: "DataDir", stem: str, sheets: Mapping[str, pd.DataFrame],
                  formats: Sequence[str]) -> dict[str, Path]:
    """Write ``sheets`` as ``<stem>.<format>`` in the data folder. CSV and Parquet hold the first
    table; Excel one sheet per table. Returns ``{format: path}``."""
    main = next(iter(sheets.values()))
    out: dict[str, Path] = {}
    for fmt in formats:
        if fmt == "csv":
            data = csv_bytes(main)
        elif fmt == "parquet":
            buf = io.BytesIO()
            main.to_parquet(buf, index=False)
            data = buf.getvalue()
        else:
            too_big = [n for n, df in sheets.items() if len(df) > EXCEL_MAX_ROWS]
            if too_big:
                raise InputError(msg("export.too_big", rows=len(sheets[too_big[0]])))
            buf = io.BytesIO()
            with pd.ExcelWriter(buf, engine="openpyxl") as xw:
                for sheet, df in sheets.items():
                    excel_ready(df).to_excel(xw, sheet_name=sheet, index=False)
            data = buf.getvalue()
        out[fmt] = store.write_bytes(f"{stem}.{fmt}", data)
    return out


def export_extract(client: "FregClient | None" = None, extract: "str | pd.DataFrame | None" = None, /, *,
                   formats: Sequence[str] | str = ("parquet", "csv"), show_ids: bool = False,
                   **deprecated: Any) -> dict[str, Path]:
    """Export a finished extract to files in the private data folder: ``extracts/<name>/eksport/``.

    ``extract`` is the extract's name or the DataFrame ``read_*_extract`` returned. The export is
    made from the stored Parquet; identifiers are masked unless ``show_ids=True``, and persons
    with protected addresses have every address value — municipality included — blanked
    (``privacy.drop_protected_addresses``). ``formats``: any of ``parquet``, ``csv``, ``xlsx``.
    Returns ``{format: path}``. CSV is ``;``-separated UTF-8 with BOM (Excel with Norwegian settings).
    The 0.1 shape ``export_extract(extract, client=fc)`` still works with a ``DeprecationWarning``.

    >>> paths = freg_nb.export_extract(fc, "femaaringer-0301", formats=["csv", "xlsx"])  # doctest: +SKIP
    """
    if isinstance(client, (str, pd.DataFrame)):      # the 0.1 shape: the extract first, client= last
        warnings.warn("export_extract(extract, client=…) is deprecated: call export_extract(client, extract, …)",
                      DeprecationWarning, stacklevel=2)
        client, extract = deprecated.pop("client", None), client
    if deprecated:
        raise TypeError(f"export_extract() got unexpected keyword argument(s): {', '.join(sorted(deprecated))}")
    if extract is None:
        raise InputError(msg("export.no_extract"))
    if isinstance(extract, pd.DataFrame):
        info = extract.attrs.get("uttrekk") or {}
        name = info.get("navn")
        if not name:
            raise InputError(msg("export.not_extract"))
    else:
        name = check_name(extract)
    fmts = [formats] if isinstance(formats, str) else list(formats)
    bad = [f for f in fmts if f not in EXPORT_FORMATS]
    if bad or not fmts:
        raise InputError(msg("export.unknown_format", bad=", ".join(map(str, bad or fmts)) or "–",
                             choices=", ".join(EXPORT_FORMATS)))
    store = store_of(resolve_client(client))
    st = store.read_json(state_rel(name))
    if not st or st.get("status") != DONE or not st.get("parquet"):
        raise InputError(msg("export.not_finished", name=name))
    df = pd.read_parquet(store.resolve(st["parquet"]))
    df = privacy.mask_ids(privacy.drop_protected_addresses(df), show=show_ids)
    try:
        return export_tables(store, f"extracts/{name}/eksport/{name}", {"uttrekk": df}, fmts)
    except InputError as e:
        raise InputError(str(e)) from None
