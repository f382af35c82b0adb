"""The built-in sandbox: synthetic population behind imitations of Maskinporten, the Fiks proxy
and the Freg API, served on loopback.

>>> from freg_nb.sandbox import SandboxConfig, start_sandbox   # doctest: +SKIP
>>> sb = start_sandbox(SandboxConfig(persons=1000))            # doctest: +SKIP
>>> sb.url, sb.roles["skole"]                                  # doctest: +SKIP
"""
from freg_nb.sandbox.faults import SCENARIOS, Faults
from freg_nb.sandbox.settings import SandboxConfig, config_from_env

__all__ = ["SandboxConfig", "config_from_env", "Faults", "SCENARIOS", "Sandbox", "start_sandbox"]


def __getattr__(name):  # lazy: importing the config must not pull in uvicorn/starlette
    if name in ("Sandbox", "start_sandbox"):
        from freg_nb.sandbox import server
        return getattr(server, name)
    raise AttributeError(name)
