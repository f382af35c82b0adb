"""freg-nb: Fiks folkeregister (Freg) for analysts — client, tidy tables, notebooks, sandbox.

    >>> import freg_nb
    >>> fc = freg_nb.connect()          # the built-in sandbox unless .env configures Fiks test/prod
    >>> fc.person("skole", "03851598730", parts=["navn"])   # doctest: +SKIP
"""

from . import errors, ids
from .auth import AssertionSigner, FiksAuth, TokenProvider, token_claims
from .client import ClientStats, FeedPage, FregClient, RetryPolicy
from .config import Secret, Settings, connect, load_settings
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

# extracts (uttrekk)
from .extracts import (  # noqa: E402
    CriteriaWarning,
    ExtractProgress,
    age_pyramid_table,
    discard_extract,
    export_extract,
    list_extracts,
    read_complete_extract,
    read_tailored_extract,
    summarize_extract,
    tailored_criteria,
)

__all__ += ["read_tailored_extract", "read_complete_extract", "tailored_criteria", "summarize_extract",
            "age_pyramid_table", "export_extract", "list_extracts", "discard_extract", "ExtractProgress",
            "CriteriaWarning"]

# lookups (oppslag)
from . import lookups  # noqa: E402
from .lookups import (  # noqa: E402
    LookupResult,
    example_ids,
    find_person,
    lookup_archived,
    lookup_person,
    lookup_persons,
    read_ids,
    search_persons,
)

__all__ += ["lookups", "LookupResult", "lookup_persons", "lookup_person", "search_persons", "find_person",
            "lookup_archived", "read_ids", "example_ids"]

# events (hendelser)
from .events import (  # noqa: E402
    EVENT_TYPES,
    FeedSync,
    NoTimestamps,
    compare_roles,
    event_changes,
    event_volumes,
    has_new_events,
    read_events,
    sequence_for_date,
    sync_events,
    top_event_types,
    type_matrix,
)

__all__ += [
    "EVENT_TYPES", "FeedSync", "NoTimestamps", "compare_roles", "event_changes", "event_volumes",
    "has_new_events", "read_events", "sequence_for_date", "sync_events", "top_event_types", "type_matrix",
]
