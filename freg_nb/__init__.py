"""freg-nb: Fiks folkeregister (Freg) for analysts — client, tidy tables, notebooks, sandbox.

    >>> import freg_nb
    >>> fc = freg_nb.connect()          # the built-in sandbox unless .env configures Fiks test/prod
    >>> fc.person("skole", "03851598730", parts=["navn"])   # doctest: +SKIP
"""

from . import errors, ids
from .auth import AssertionSigner, FiksAuth, TokenProvider, token_claims
from .client import ClientStats, FeedPage, FregClient, RetryPolicy
from ._connect import connect
from .config import Secret, Settings, load_settings
from .errors import (
    AccessDenied,
    ApiError,
    AuthError,
    BadRequest,
    ConfigError,
    ExtractError,
    ExtractOrderUncertain,
    FregNbError,
    InputError,
    IntegrationRejected,
    MaskinportenError,
    NotFound,
    PartNotAllowed,
    RetriesExhausted,
    ServerError,
    Throttled,
    TokenRejected,
)
from .ids import IdInfo, InvalidIdentifier, check_digits, classify, is_valid, mask, validate, validate_many

__version__ = "0.1.0"

__all__ = [
    # connecting
    "connect", "FregClient", "Settings", "load_settings", "Secret", "RetryPolicy", "FeedPage", "ClientStats",
    # auth
    "AssertionSigner", "TokenProvider", "FiksAuth", "token_claims",
    # identifiers
    "ids", "IdInfo", "InvalidIdentifier", "check_digits", "classify", "is_valid", "mask", "validate",
    "validate_many",
    # errors
    "errors", "FregNbError", "ConfigError", "InputError", "PartNotAllowed", "AuthError", "MaskinportenError",
    "TokenRejected", "IntegrationRejected", "AccessDenied", "ApiError", "BadRequest", "NotFound", "Throttled",
    "ServerError", "RetriesExhausted", "ExtractError", "ExtractOrderUncertain",
]

# The analysis layers (pandas, DuckDB) load on first use, so that ``import freg_nb.sandbox`` and the
# command line start quickly: name -> submodule that defines it.
_LAZY = {
    **dict.fromkeys(["read_tailored_extract", "read_complete_extract", "ExtractProgress"], "extracts"),
    **dict.fromkeys(["tailored_criteria"], "criteria"),
    **dict.fromkeys(["summarize_extract", "age_pyramid_table"], "summaries"),
    **dict.fromkeys(["export_extract"], "export"),
    **dict.fromkeys(["list_extracts", "discard_extract"], "extract_records"),
    **dict.fromkeys(["lookups", "LookupResult", "lookup_persons", "lookup_person", "search_persons", "find_person",
                     "lookup_archived", "read_ids", "example_ids"], "lookups"),
    **dict.fromkeys(["FeedSync", "NoTimestamps", "has_new_events", "sequence_for_date", "sync_events"], "feed"),
    **dict.fromkeys(["EVENT_TYPES", "compare_roles", "event_changes", "event_volumes", "read_events",
                     "top_event_types", "type_matrix"], "events"),
    # the subpackages: their functions are reached through them (freg_nb.mirror.flows,
    # freg_nb.reconcile.reconcile); the mirror's entry points are top-level too
    **dict.fromkeys(["mirror", "build_mirror", "update_mirror", "open_mirror", "list_mirrors", "Mirror"], "mirror"),
    **dict.fromkeys(["reconcile", "ReconcileResult"], "reconcile"),
    **dict.fromkeys(["shape_report", "ShapeReport"], "shape.report"),
}
__all__ += list(_LAZY)


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
    value = module if name == _LAZY[name] else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
