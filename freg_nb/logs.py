"""Safe logging: the filter that keeps identifiers and search values out of httpx's request lines."""
from __future__ import annotations

import logging
import re

from .ids import mask_runs

__all__ = ["install_httpx_filter"]


class _MaskIdsFilter(logging.Filter):
    """httpx logs every request URL at INFO; a person lookup's URL holds the full identifier and
    a search's query holds name and birth date. This filter (installed once on the "httpx"
    logger) masks 11-digit numbers and replaces query values by ``***`` (except paging and
    feed positions, ``_PLAIN_QUERY_KEYS``) in those lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:
            return True
        masked = _QUERY_VALUE.sub(_redact_query, mask_runs(text))
        if masked != text:
            record.msg, record.args = masked, ()
        return True


_QUERY_VALUE = re.compile(r"([?&])([^=&\s\"'#]+)=([^&\s\"'#]*)")
_PLAIN_QUERY_KEYS = frozenset({"seq", "sekvensnummer", "fraSekvensnummer", "antall", "side", "part"})


def _redact_query(m: re.Match) -> str:
    key = m.group(2)
    return m.group(0) if key in _PLAIN_QUERY_KEYS else f"{m.group(1)}{key}=***"

_httpx_filter = _MaskIdsFilter()


def install_httpx_filter() -> None:
    """Install the filter on the "httpx" logger (once; idempotent)."""
    logger = logging.getLogger("httpx")
    if _httpx_filter not in logger.filters:
        logger.addFilter(_httpx_filter)
