"""Retry decisions: RFC 5321 section 4.5.4.1 defaults, backoff, per-host memory, warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailproto.delivery import Attempt, GiveUp, Outcome, Retry, RetryPolicy, classify_reply

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def test_classify_reply() -> None:
    assert classify_reply(421) is Outcome.TEMPORARY_REPLY
    assert classify_reply(550) is Outcome.PERMANENT_REPLY
    for code in (250, 354, 399, 600):
        with pytest.raises(ValueError):
            classify_reply(code)


def test_first_retry_at_least_thirty_minutes_later() -> None:
    policy = RetryPolicy()
    attempt = Attempt(T0, Outcome.TEMPORARY_REPLY, "mx.b.example", "4.2.2", "452 mailbox full")
    assert policy.decide(queued_at=T0, attempts=[attempt], now=T0) == Retry(T0 + 30 * MIN)


def test_backoff_doubles_up_to_the_maximum() -> None:
    policy = RetryPolicy()
    attempts: list[Attempt] = []
    waits = []
    now = T0
    for _ in range(8):
        attempts.append(Attempt(now, Outcome.TEMPORARY_REPLY))
        decision = policy.decide(queued_at=T0, attempts=attempts, now=now, warned=True)
        assert isinstance(decision, Retry)
        waits.append(decision.at - now)
        now = decision.at
    assert waits == [30 * MIN, 60 * MIN, 120 * MIN] + [240 * MIN] * 5


def test_permanent_reply_gives_up_at_once() -> None:
    policy = RetryPolicy()
    attempts = [
        Attempt(T0, Outcome.TIMEOUT, "mx1"),
        Attempt(T0, Outcome.PERMANENT_REPLY, "mx2", "5.1.1", "550 5.1.1 no such user"),
    ]
    assert policy.decide(queued_at=T0, attempts=attempts, now=T0) == GiveUp(
        "5.1.1", "550 5.1.1 no such user"
    )
    assert policy.decide(
        queued_at=T0, attempts=[Attempt(T0, Outcome.DNS_PERMANENT)], now=T0
    ) == GiveUp("5.0.0", "dns-permanent")


def test_gives_up_after_five_days() -> None:
    policy = RetryPolicy()
    late = T0 + timedelta(days=5)
    attempts = [Attempt(late, Outcome.TEMPORARY_REPLY, "mx", "4.2.1", "421 busy")]
    decision = policy.decide(queued_at=T0, attempts=attempts, now=late)
    assert isinstance(decision, GiveUp)
    assert decision.expired
    assert decision.status == "4.2.1"
    assert "421 busy" in decision.reason
    attempts = [Attempt(late, Outcome.TIMEOUT)]
    decision = policy.decide(queued_at=T0, attempts=attempts, now=late)
    assert isinstance(decision, GiveUp)
    assert decision.status == "4.4.7"


def test_last_retry_is_at_the_deadline_not_after() -> None:
    policy = RetryPolicy()
    now = T0 + timedelta(days=5) - 10 * MIN
    decision = policy.decide(queued_at=T0, attempts=[Attempt(now, Outcome.TIMEOUT)], now=now)
    assert decision == Retry(T0 + timedelta(days=5), send_delay_notice=True)


def test_delay_notice_once_after_four_hours() -> None:
    policy = RetryPolicy()
    attempts = [Attempt(T0 + 3 * timedelta(hours=1), Outcome.TEMPORARY_REPLY)]
    early = policy.decide(queued_at=T0, attempts=attempts, now=T0 + timedelta(hours=3))
    assert isinstance(early, Retry)
    assert not early.send_delay_notice
    now = T0 + timedelta(hours=4)
    attempts = [Attempt(now, Outcome.TEMPORARY_REPLY)]
    due = policy.decide(queued_at=T0, attempts=attempts, now=now)
    assert isinstance(due, Retry)
    assert due.send_delay_notice
    done = policy.decide(queued_at=T0, attempts=attempts, now=now, warned=True)
    assert isinstance(done, Retry)
    assert not done.send_delay_notice
    never = RetryPolicy(warn_after=None).decide(queued_at=T0, attempts=attempts, now=now)
    assert isinstance(never, Retry)
    assert not never.send_delay_notice


def test_no_attempt_yet_means_now() -> None:
    assert RetryPolicy().decide(queued_at=T0, attempts=[], now=T0 + MIN) == Retry(T0 + MIN)


def test_each_host_remembered_separately() -> None:
    policy = RetryPolicy()
    attempts = [
        Attempt(T0, Outcome.CONNECTION_REFUSED, "mx1"),
        Attempt(T0 + MIN, Outcome.TIMEOUT, "mx1"),
        Attempt(T0 + 2 * MIN, Outcome.TLS_FAILURE, "mx2"),
        Attempt(T0 + 3 * MIN, Outcome.TEMPORARY_REPLY, "mx3"),
    ]
    assert policy.host_ready_at("mx1", attempts) == T0 + MIN + 60 * MIN
    assert policy.host_ready_at("mx2", attempts) == T0 + 2 * MIN + 30 * MIN
    assert policy.host_ready_at("mx3", attempts) is None  # it answered: it is reachable
    assert policy.host_ready_at("mx4", attempts) is None
    now = T0 + 40 * MIN
    assert policy.available_hosts(["mx1", "mx2", "mx3"], attempts, now) == ["mx2", "mx3"]
    # a reply from mx1 after its failures resets its count
    attempts.append(Attempt(T0 + 4 * MIN, Outcome.TEMPORARY_REPLY, "mx1"))
    assert policy.host_ready_at("mx1", attempts) is None


def test_retry_waits_for_the_first_host_to_come_back() -> None:
    policy = RetryPolicy(min_interval=30 * MIN, host_min_interval=30 * MIN)
    attempts = [Attempt(T0, Outcome.TIMEOUT, "mx1")] * 3 + [
        Attempt(T0 + MIN, Outcome.TIMEOUT, "mx2")
    ]
    decision = policy.decide(
        queued_at=T0, attempts=attempts, now=T0 + MIN, warned=True, hosts=["mx1", "mx2"]
    )
    # the message's own wait after 4 failures is 4 hours; mx2 is back after 31 minutes, mx1
    # after two hours: the message waits for its own backoff
    assert decision == Retry(T0 + MIN + 240 * MIN)
    policy = RetryPolicy(
        min_interval=30 * MIN, host_min_interval=6 * 60 * MIN, max_interval=24 * 60 * MIN
    )
    decision = policy.decide(
        queued_at=T0, attempts=attempts[:1], now=T0, warned=True, hosts=["mx1"]
    )
    assert decision == Retry(T0 + 6 * 60 * MIN)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_interval": timedelta(0)},
        {"host_min_interval": -MIN},
        {"give_up_after": timedelta(0)},
        {"backoff": 0.5},
        {"max_interval": MIN},
        {"warn_after": timedelta(0)},
    ],
)
def test_bad_policy(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


outcomes = st.sampled_from([o for o in Outcome if not o.permanent])


@given(
    st.lists(
        st.tuples(st.integers(0, 10**6), outcomes, st.sampled_from(["a", "b", None])),
        min_size=1,
        max_size=60,
    )
)
def test_retry_never_sooner_than_thirty_minutes_nor_after_the_deadline(
    raw: list[tuple[int, Outcome, str | None]],
) -> None:
    policy = RetryPolicy()
    ordered = sorted(raw, key=lambda r: r[0])
    attempts = [Attempt(T0 + timedelta(seconds=s), o, h) for s, o, h in ordered]
    now = attempts[-1].at
    decision = policy.decide(queued_at=T0, attempts=attempts, now=now, hosts=["a", "b"])
    if isinstance(decision, Retry):
        deadline = T0 + policy.give_up_after
        assert decision.at <= deadline
        assert decision.at >= min(now + 30 * MIN, deadline)
    else:
        assert decision.expired
