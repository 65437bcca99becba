"""Flood protection that never stores a client address.

Counters are kept in process memory, keyed by a keyed hash of the client's address whose
key is random and replaced every window, so neither the database nor a memory dump taken
after the window can tell who sent what. With several server processes each counts alone;
the limit is per process, which the operator guide states.
"""

from __future__ import annotations

import threading
import time

from solidarity.vault.core import keyed_digest, random_key


class FloodGate:
    """Allows ``limit`` events per key per ``window`` seconds."""

    def __init__(self, limit: int, window: float = 3600.0, clock=time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit and window must be positive")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._rotate(clock())

    @classmethod
    def from_limit(cls, limit: int, window: float = 3600.0) -> FloodGate | OpenGate:
        """A gate for a configured limit; 0 means no limit."""
        return cls(limit, window) if limit > 0 else OpenGate()

    def _rotate(self, now: float) -> None:
        self._key = random_key()
        self._started = now
        self._counts: dict[bytes, int] = {}

    def allow(self, client: str) -> bool:
        """Count one event for ``client`` and say whether it is within the limit."""
        with self._lock:
            now = self._clock()
            if now - self._started >= self.window:
                self._rotate(now)
            slot = keyed_digest(self._key, client.encode("utf-8"))
            count = self._counts.get(slot, 0)
            if count >= self.limit:
                return False
            self._counts[slot] = count + 1
            return True

    def would_allow(self, client: str) -> bool:
        with self._lock:
            if self._clock() - self._started >= self.window:
                return True
            return self._counts.get(keyed_digest(self._key, client.encode("utf-8")), 0) < self.limit


class OpenGate:
    """A gate that lets everything through: for a limit configured as 0."""

    def allow(self, client: str) -> bool:
        return True

    def would_allow(self, client: str) -> bool:
        return True
