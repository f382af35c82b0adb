"""Thin deprecated aliases for the call shapes of freg-nb 0.1 (listed in CHANGELOG.md)."""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["keywords_after_client", "moved_module", "renamed"]


def keywords_after_client(*names: str) -> Callable[[F], F]:
    """Accept ``f(client, "rolle", …)`` — the 0.1 shape — as ``f(client, role="rolle", …)`` with a
    ``DeprecationWarning``. ``names`` are the keyword-only parameters that used to be positional.
    ``inspect.signature`` shows the current shape (the wrapped function's)."""
    def deco(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if len(args) > 1:
                extra = args[1:]
                if len(extra) > len(names):
                    raise TypeError(f"{fn.__name__}() takes the client and keywords only")
                given = dict(zip(names, extra))
                twice = sorted(set(given) & set(kwargs))
                if twice:
                    raise TypeError(f"{fn.__name__}() got multiple values for {', '.join(twice)}")
                shown = ", ".join(f"{n}=…" for n in given)
                warnings.warn(f"{fn.__name__}(client, {', '.join('…' for _ in given)}) is deprecated: "
                              f"call {fn.__name__}(client, {shown})", DeprecationWarning, stacklevel=2)
                kwargs.update(given)
                args = args[:1]
            return fn(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return deco


def moved_module(old: str, new: str) -> None:
    """Called at the top of a thin alias module: warn that ``old`` is now ``new``. The warning points
    at the line that imports the old name (the import machinery's frames are skipped by ``warnings``)."""
    warnings.warn(f"{old} is deprecated: import from {new}", DeprecationWarning, stacklevel=3)


def renamed(module: str, name: str, old_names: dict[str, Any]) -> Any:
    """A module's ``__getattr__`` for class names before they were English: ``old_names`` maps the old
    name to the object, which is returned with a ``DeprecationWarning``."""
    if name not in old_names:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    new = old_names[name]
    warnings.warn(f"{module}.{name} is deprecated: use {new.__name__}", DeprecationWarning, stacklevel=3)
    return new
