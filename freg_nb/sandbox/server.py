"""Starting the sandbox: in a background thread (``start_sandbox``) or in the foreground (``freg-nb sandbox``)."""
from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from concurrent.futures import Future

import uvicorn

from freg_nb.net import is_loopback_host
from freg_nb.paths import default_data_dir
from freg_nb.sandbox.app import SandboxState, build_app
from freg_nb.sandbox.faults import SCENARIOS, Faults, scenario_faults
from freg_nb.sandbox.memory import release_free_memory
from freg_nb.sandbox.pki import load_or_create
from freg_nb.sandbox.settings import SandboxConfig, config_from_env

__all__ = ["Sandbox", "start_sandbox", "cli_main", "default_data_dir"]

_INTENTIONAL = ("ASGI callable returned without completing response",)


class _QuietDrops(logging.Filter):
    """Hide uvicorn's error line for connections the fault injector drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(m in record.getMessage() for m in _INTENTIONAL)


def _state(config: SandboxConfig, data_dir) -> SandboxState:
    """The shared state; the population is built on a thread meanwhile (the server already answers
    tokens and admin calls; Freg operations wait for it)."""
    from freg_nb.sandbox.population import MIN_SIZE, Population

    if config.persons < MIN_SIZE:
        raise ValueError(f"persons must be at least {MIN_SIZE}")
    if not 0.0 <= config.untidy <= 1.0:
        raise ValueError("untidy must be a share between 0 and 1")
    population: Future = Future()

    def build():
        try:
            pop = Population(seed=config.seed, size=config.persons, reference_date=config.reference_date,
                             untidy=config.untidy)
            pop.shape_variants = config.shape_variants
            population.set_result(pop)
        except BaseException as e:  # surfaces in whoever waits for the population
            population.set_exception(e)
        release_free_memory()  # the build's temporaries, once the population already answers

    threading.Thread(target=build, name="freg-nb-population", daemon=True).start()

    def feed(pop):  # built on first use: a person lookup never waits for the feed
        from freg_nb.sandbox.feed import EventFeed
        return EventFeed(pop, events=config.events, span_days=config.span_days)

    pki = load_or_create(data_dir if data_dir is not None else default_data_dir())
    return SandboxState(config, pki, population, feed)


def _uvicorn(app, host: str) -> uvicorn.Server:
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    cfg = uvicorn.Config(app, host=host, log_level="warning", access_log=False, lifespan="off",
                         server_header=False, date_header=False)
    return uvicorn.Server(cfg)


class Sandbox:
    """A running sandbox (see docs/ARCHITECTURE.md); stop it with ``stop()`` or use it as a context manager."""

    def __init__(self, state: SandboxState, server: uvicorn.Server | None, thread: threading.Thread | None):
        self._state, self._server, self._thread = state, server, thread

    url = property(lambda self: self._state.url)
    fiks_base_url = property(lambda self: self._state.url)
    maskinporten_issuer = property(lambda self: self._state.maskinporten.issuer)
    credentials = property(lambda self: self._state.pki.credentials)
    roles = property(lambda self: {n: r.id for n, r in self._state.roles.items()})
    population = property(lambda self: self._state.population)
    feed = property(lambda self: self._state.feed)
    config = property(lambda self: self._state.config)
    state = property(lambda self: self._state)

    @property
    def faults(self) -> Faults:
        return self._state.faults

    def set_faults(self, **kw) -> Faults:
        """Change some fault knobs (unknown names raise ValueError); returns the faults now in force."""
        import dataclasses
        new = dataclasses.replace(self._state.faults).update(**kw)
        self._state.plan.replace(new)
        return new

    def scenario(self, name: str) -> Faults:
        """Switch to a named training scenario (``SCENARIOS``), replacing all fault knobs."""
        new = scenario_faults(name)
        self._state.plan.replace(new)
        return new

    def counters(self) -> dict:
        return self._state.counters.snapshot()

    def env_snippet(self) -> str:
        c = self.credentials
        roles = ",".join(f"{n}={i}" for n, i in self.roles.items())
        return "\n".join([
            "# freg-nb sandbox (synthetic data only; these secrets belong to the sandbox)",
            "FREG_NB_ENV=sandbox",
            f"FIKS_BASE_URL={self.fiks_base_url}",
            f"MASKINPORTEN_ISSUER={self.maskinporten_issuer}",
            f"MASKINPORTEN_CLIENT_ID={c.client_id}",
            f"MASKINPORTEN_CERT_FILE={c.cert_file}",
            f"MASKINPORTEN_CERT_PASSWORD={c.cert_password}",
            "# or, instead of the certificate, the registered key (use one of the two):",
            f"# MASKINPORTEN_KEY_FILE={c.key_file}",
            f"# MASKINPORTEN_KID={c.kid}",
            f"FIKS_INTEGRASJON_ID={c.integration_id}",
            f"FIKS_INTEGRASJON_PASSORD={c.integration_password}",
            f"FIKS_ROLLER={roles}",
            "",
        ])

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self) -> str:
        return f"Sandbox(url={self.url!r}, persons={self.config.persons})"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _wait_ready(server: uvicorn.Server, thread: threading.Thread, url: str, timeout: float = 10.0) -> None:
    """Wait until uvicorn has started serving on its (already listening) socket."""
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"sandbox at {url} did not start within {timeout} s")
        time.sleep(0.002)


def start_sandbox(config: SandboxConfig | None = None, *, data_dir=None, port: int = 0) -> Sandbox:
    """Start a sandbox on 127.0.0.1 (``port=0``: a free port) in a background thread and wait until it answers.

    >>> sb = start_sandbox(SandboxConfig(persons=1000))   # doctest: +SKIP
    >>> sb.stop()                                         # doctest: +SKIP
    """
    config = config or SandboxConfig()
    state = _state(config, data_dir)
    sock = _bind("127.0.0.1", port)
    state.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = _uvicorn(build_app(state), "127.0.0.1")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="freg-nb-sandbox", daemon=True)
    thread.start()
    _wait_ready(server, thread, state.url)
    return Sandbox(state, server, thread)


def cli_main(args) -> int:
    """``freg-nb sandbox``: run in the foreground, print the URL and a ready ``.env`` snippet."""
    if not is_loopback_host(args.host) and not args.force_non_loopback:
        print(f"Refusing to bind {args.host}: the sandbox is for loopback only. "
              "Use --force-non-loopback to override (never with real data).", file=sys.stderr)
        return 2
    if args.scenario and args.scenario not in SCENARIOS:
        print(f"Unknown scenario {args.scenario!r}; known: {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    try:
        seed = config_from_env(seed=args.seed).seed
    except ValueError as e:
        print(f"freg-nb sandbox: {e}", file=sys.stderr)
        return 2
    kw = {"seed": seed, "roles_file": args.roles_file, "scenario": args.scenario}
    if args.persons is not None:
        kw["persons"] = args.persons
    if args.events is not None:
        kw["events"] = args.events
    if args.untidy is not None:
        kw["untidy"] = args.untidy
    if getattr(args, "shapes", None):
        kw["shapes"] = args.shapes
    try:
        state = _state(SandboxConfig(**kw), None)
    except ValueError as e:
        print(f"freg-nb sandbox: {e}", file=sys.stderr)
        return 2
    sock = _bind(args.host, args.port)
    host = f"[{args.host}]" if ":" in args.host else args.host
    state.url = f"http://{host}:{sock.getsockname()[1]}"
    server = _uvicorn(build_app(state), args.host)
    handle = Sandbox(state, server, None)
    print(f"freg-nb sandbox listening on {state.url} ({state.config.persons} synthetic persons)")
    if args.scenario:
        print(f"Scenario {args.scenario}: {SCENARIOS[args.scenario].beskrivelse}")
    print("Put this in your .env (or export it):\n")
    print(handle.env_snippet(), flush=True)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    return 0
