"""Fixtures for the driver tests: a throwaway CA and certificate made at test time."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import pytest
import trustme


@dataclass
class TLSContexts:
    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="session")
def tls() -> TLSContexts:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return TLSContexts(server, client)
