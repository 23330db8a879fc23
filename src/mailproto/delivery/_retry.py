"""Retry policy: from the attempts so far, when to try again, when to warn, when to give up.

The defaults follow RFC 5321 section 4.5.4.1: retry no sooner than 30 minutes after a failure,
give up after five days, and (as most MTAs do) warn the sender once after four hours. Failures
that belong to a host (connection refused, timeout, TLS failure) are remembered per host, so a
dead exchanger is skipped for a while without holding back the others.

Nothing here reads the clock: every decision takes ``now``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "Attempt",
    "Decision",
    "GiveUp",
    "Outcome",
    "Retry",
    "RetryPolicy",
    "classify_reply",
]


class Outcome(enum.Enum):
    """What went wrong in one delivery attempt."""

    #: The server answered 4xx: try again later.
    TEMPORARY_REPLY = "temporary-reply"
    #: The server answered 5xx: the message (or recipient) fails now.
    PERMANENT_REPLY = "permanent-reply"
    #: The connection was refused or reset before the greeting.
    CONNECTION_REFUSED = "connection-refused"
    #: The connection or a reply timed out.
    TIMEOUT = "timeout"
    #: TLS could not be set up, or the certificate did not verify where it had to.
    TLS_FAILURE = "tls-failure"
    #: DNS could not answer for now (:class:`~mailproto.delivery.TemporaryFailure`).
    DNS_TEMPORARY = "dns-temporary"
    #: DNS said the destination cannot be reached (:class:`~mailproto.delivery.PermanentFailure`).
    DNS_PERMANENT = "dns-permanent"

    @property
    def permanent(self) -> bool:
        """Whether this outcome ends delivery at once (bounce)."""
        return self in (Outcome.PERMANENT_REPLY, Outcome.DNS_PERMANENT)

    @property
    def host_level(self) -> bool:
        """Whether this outcome says something about the host rather than the message."""
        return self in (Outcome.CONNECTION_REFUSED, Outcome.TIMEOUT, Outcome.TLS_FAILURE)


def classify_reply(code: int) -> Outcome:
    """The outcome of an SMTP reply code that refused the transaction: 4xx or 5xx.

    :raises ValueError: *code* is not a 4xx or 5xx reply code.
    """
    if 400 <= code <= 499:
        return Outcome.TEMPORARY_REPLY
    if 500 <= code <= 599:
        return Outcome.PERMANENT_REPLY
    raise ValueError(f"{code} is not a failure reply code")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One failed delivery attempt.

    :param at: when it happened (timezone-aware or naive, but the same kind everywhere).
    :param outcome: what went wrong.
    :param host: the exchanger tried, if any (host-level failures are remembered per host).
    :param status: the RFC 3463 enhanced status code, if known (``"4.2.2"``, ``"5.1.1"``).
    :param diagnostic: the server's reply or a sentence, for the bounce.
    """

    at: datetime
    outcome: Outcome
    host: str | None = None
    status: str | None = None
    diagnostic: str = ""


@dataclass(frozen=True, slots=True)
class Retry:
    """Try again at :attr:`at`.

    :param at: the earliest time of the next attempt.
    :param send_delay_notice: the message has waited past the warning point and no delay
        notice has been sent yet: send one now (a DSN with action ``delayed``).
    """

    at: datetime
    send_delay_notice: bool = False


@dataclass(frozen=True, slots=True)
class GiveUp:
    """Stop trying and bounce.

    :param status: the status code for the DSN (the last known one, or ``4.4.7`` "delivery
        time expired" / ``5.0.0`` when none was given).
    :param reason: a sentence for the bounce.
    :param expired: ``True`` if the message ran out of time rather than being refused.
    """

    status: str
    reason: str
    expired: bool = False


#: What :meth:`RetryPolicy.decide` returns.
Decision = Retry | GiveUp


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When to retry a message that could not be delivered.

    The wait after the *n*-th failure is ``min_interval * backoff ** (n - 1)``, kept between
    ``min_interval`` and ``max_interval``; hosts back off the same way on their own failures,
    between ``host_min_interval`` and ``max_interval``.

    :param min_interval: the shortest wait between attempts (RFC 5321: at least 30 minutes).
    :param max_interval: the longest wait between attempts.
    :param backoff: how much longer each wait is than the one before.
    :param give_up_after: how long after queueing to give up (RFC 5321: at least 4-5 days).
    :param warn_after: when to send one delay notice; ``None`` for never.
    :param host_min_interval: how long a host that failed is skipped at first.
    :raises ValueError: an interval is not positive, ``backoff < 1``, or
        ``max_interval < min_interval``.
    """

    min_interval: timedelta = timedelta(minutes=30)
    max_interval: timedelta = timedelta(hours=4)
    backoff: float = 2.0
    give_up_after: timedelta = timedelta(days=5)
    warn_after: timedelta | None = timedelta(hours=4)
    host_min_interval: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        zero = timedelta(0)
        if min(self.min_interval, self.host_min_interval, self.give_up_after) <= zero:
            raise ValueError("intervals must be positive")
        if self.backoff < 1 or self.max_interval < self.min_interval:
            raise ValueError("backoff must be >= 1 and max_interval >= min_interval")
        if self.warn_after is not None and self.warn_after <= zero:
            raise ValueError("warn_after must be positive or None")

    def _wait(self, failures: int, floor: timedelta) -> timedelta:
        if failures <= 1:
            return floor
        # Cap the exponent so that a long history cannot overflow the float.
        factor = self.backoff ** min(failures - 1, 64)
        seconds = min(floor.total_seconds() * factor, self.max_interval.total_seconds())
        return max(timedelta(seconds=seconds), floor)

    def host_ready_at(self, host: str, attempts: Iterable[Attempt]) -> datetime | None:
        """When *host* may be tried again, judging by its own consecutive host-level failures
        (a reply from the host, even 4xx, shows it is reachable and resets the count).
        ``None`` if nothing holds it back."""
        failures = 0
        last: datetime | None = None
        for attempt in attempts:
            if attempt.host != host:
                continue
            if attempt.outcome.host_level:
                failures += 1
                last = attempt.at
            else:
                failures = 0
                last = None
        if last is None:
            return None
        return last + self._wait(failures, self.host_min_interval)

    def available_hosts(
        self, hosts: Iterable[str], attempts: Sequence[Attempt], now: datetime
    ) -> list[str]:
        """The hosts of *hosts* (kept in order) that are not backing off at *now*."""
        out = []
        for host in hosts:
            ready = self.host_ready_at(host, attempts)
            if ready is None or ready <= now:
                out.append(host)
        return out

    def decide(
        self,
        *,
        queued_at: datetime,
        attempts: Sequence[Attempt],
        now: datetime,
        warned: bool = False,
        hosts: Sequence[str] = (),
    ) -> Decision:
        """What to do after the failed attempts so far.

        :param queued_at: when the message was accepted.
        :param attempts: every failed attempt, oldest first.
        :param now: the current time.
        :param warned: whether a delay notice has already been sent.
        :param hosts: the current candidate hosts; if every one of them is backing off, the
            next attempt waits for the first to become available.
        """
        notice = self.warn_after is not None and not warned and now - queued_at >= self.warn_after
        if not attempts:
            return Retry(max(now, queued_at), notice)
        last = attempts[-1]
        if last.outcome.permanent:
            return GiveUp(last.status or "5.0.0", last.diagnostic or last.outcome.value)
        deadline = queued_at + self.give_up_after
        if now >= deadline:
            status = last.status if last.status and last.status.startswith("4") else "4.4.7"
            reason = f"delivery time expired after {self.give_up_after}"
            if last.diagnostic:
                reason += f"; last error: {last.diagnostic}"
            return GiveUp(status, reason, expired=True)
        at = last.at + self._wait(len(attempts), self.min_interval)
        if hosts:
            ready = [self.host_ready_at(h, attempts) for h in hosts]
            if all(r is not None for r in ready):
                at = max(at, min(r for r in ready if r is not None))
        return Retry(max(min(at, deadline), now), notice)
