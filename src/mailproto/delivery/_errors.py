"""The errors :mod:`mailproto.delivery` raises for malformed input."""

from __future__ import annotations

__all__ = ["AddressError", "DeliveryError", "PolicyError"]


class DeliveryError(ValueError):
    """Base class of the errors of :mod:`mailproto.delivery`: the input could not be used.

    :param message: a sentence naming what was wrong.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AddressError(DeliveryError):
    """A recipient address, domain or address literal is malformed or cannot be converted."""


class PolicyError(DeliveryError):
    """An MTA-STS TXT record or policy file is malformed (RFC 8461)."""
