"""SIGHUP while `pantau run` is starting: remembered, and acted on once the service is running.

The service installs its own SIGHUP handler (reload config.yaml) only when its event loop runs, after the
config is read, the store opened and the modules loaded. Until then the signal's default action would end
the process: a `systemctl reload` or a config-edit hook that sends SIGHUP at the wrong moment would stop
the service instead of reloading it. `hold()` catches it from the start of the command; `arrived()` tells
the service whether one came, so it reloads once at start (the file may have changed after it was read).
"""

from __future__ import annotations

import signal
from types import FrameType

_arrived = False


def hold() -> None:
    """From now until the service takes SIGHUP over, remember it instead of ending the process."""
    global _arrived
    _arrived = False
    signal.signal(signal.SIGHUP, _remember)


def arrived() -> bool:
    """Whether SIGHUP came while the service was starting (answered once: the flag is cleared)."""
    global _arrived
    came, _arrived = _arrived, False
    return came


def _remember(signum: int, frame: FrameType | None) -> None:
    global _arrived
    _arrived = True
