"""Stopping a long run from outside: a Stopp button, Kernel → Interrupt, or any other thread.

A run (a form's button press) holds a ``CancelToken`` while it works. The core checks for a
stop between calls, pages, batches and polls by calling ``check()`` (cheap: one set lookup),
and waits with ``sleep()`` instead of ``time.sleep`` so a stop ends a wait at once.

``Cancelled`` is a ``KeyboardInterrupt``: everything in the core that already keeps its state
when the user interrupts (stored bulk calls, feed checkpoints, extract batches) does the same
for a stop, so running the same thing again continues where it stopped.

    >>> token = CancelToken()
    >>> with running(token):          # doctest: +SKIP
    ...     lookup_persons(...)       # a Stopp button calls token.cancel() from the kernel's thread

Hooks the core calls (one line each):

* ``FregClient.__init__``: ``httpx.Client(..., event_hooks={"request": [cancel.check]})`` — until
  then ``attach(client)`` adds the same hook to a client from the outside.
* ``extracts._Waiter.wait``: ``cancel.sleep(d)`` instead of ``time.sleep(d)``.
"""
from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

__all__ = ["CancelToken", "Cancelled", "active", "attach", "cancel_all", "check", "install_interrupt",
           "running", "sleep"]


class Cancelled(KeyboardInterrupt):
    """The user stopped the run (Stopp or Kernel → Interrupt). Run it again to continue."""


class CancelToken:
    """A flag one thread sets and the working threads check."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when cancelled meanwhile."""
        return self._event.wait(seconds)


_lock = threading.Lock()
_active: set[CancelToken] = set()


@contextmanager
def running(token: CancelToken) -> Iterator[CancelToken]:
    """Make ``token`` one that ``check()`` and ``sleep()`` look at while the block runs."""
    with _lock:
        _active.add(token)
    try:
        yield token
    finally:
        with _lock:
            _active.discard(token)


def active() -> bool:
    """True while some run holds a token."""
    return bool(_active)


def cancel_all() -> int:
    """Cancel every running token (Kernel → Interrupt); returns how many."""
    with _lock:
        tokens = list(_active)
    for t in tokens:
        t.cancel()
    return len(tokens)


def check(*_args: Any) -> None:
    """Raise ``Cancelled`` when a running token was cancelled. Usable as an httpx request hook."""
    for t in list(_active):
        if t.cancelled:
            raise Cancelled()


def sleep(seconds: float) -> None:
    """``time.sleep`` that ends early (raising ``Cancelled``) when a running token is cancelled."""
    deadline = time.monotonic() + seconds
    pause = threading.Event()
    while True:
        check()
        left = deadline - time.monotonic()
        if left <= 0:
            return
        pause.wait(min(left, 0.2))


def attach(client: Any) -> None:
    """Add ``check`` as a request hook of the client's HTTP connection (until the core does it itself)."""
    http = getattr(client, "_http", None)
    if http is None:
        return
    hooks = http.event_hooks
    if check not in hooks.get("request", []):
        hooks["request"] = [*hooks.get("request", []), check]
        http.event_hooks = hooks


def _on_interrupt(previous: Any):
    def handler(signum, frame):
        if cancel_all():
            return  # a run was going on in the background: it stops at its next call
        if callable(previous):
            previous(signum, frame)
    handler.freg_nb = True  # type: ignore[attr-defined]
    return handler


def install_interrupt() -> bool:
    """Let Kernel → Interrupt reach runs in worker threads.

    While a cell executes, ipykernel turns SIGINT into KeyboardInterrupt in the main thread; while
    it is idle (a form's run works in a thread), it restores the handler it saved before the
    current message, which normally ignores SIGINT. Call this from a widget callback (the
    kernel's main thread): the saved handler becomes one that cancels the running tokens.
    Returns False outside a kernel.
    """
    try:
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
    except ImportError:
        return False
    if kernel is None or threading.current_thread() is not threading.main_thread():
        return False
    saved = getattr(kernel, "saved_sigint_handler", None)
    if getattr(saved, "freg_nb", False):
        return True
    kernel.saved_sigint_handler = _on_interrupt(saved if saved not in (signal.SIG_IGN, signal.SIG_DFL) else None)
    return True
