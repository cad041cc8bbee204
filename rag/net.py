"""Loopback networking helpers shared by the library, the tests and the benchmarks."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A loopback port that was free a moment ago (bound to port 0, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
