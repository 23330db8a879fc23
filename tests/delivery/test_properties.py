"""Hypothesis properties of MX selection and of the planner."""

from __future__ import annotations

import ipaddress
import random

from hypothesis import given
from hypothesis import strategies as st

from mailproto.delivery import (
    AddressRecord,
    CNAMERecord,
    Failure,
    MXRecord,
    PermanentFailure,
    Resolution,
    ResolutionPlanner,
    RType,
    TemporaryFailure,
    run_planner,
    select_mx,
)

from ._zone import Zone

names = st.sampled_from([f"mx{i}.b.example" for i in range(12)])
preferences = st.integers(0, 20)
mx_records = st.lists(st.builds(MXRecord, preferences, names), max_size=30)
seeds = st.integers(0, 2**32 - 1)


@given(mx_records, seeds)
def test_order_respects_preference_each_host_once(records: list[MXRecord], seed: int) -> None:
    selection = select_mx(records, rng=random.Random(seed))
    prefs = [h.preference for h in selection.hosts]
    assert prefs == sorted(prefs)
    hosts = [h.exchange for h in selection.hosts]
    assert len(hosts) == len(set(hosts))
    assert set(hosts) == {r.exchange for r in records}
    best: dict[str, int] = {}
    for r in records:
        best[r.exchange] = min(best.get(r.exchange, r.preference), r.preference)
    assert all(best[h.exchange] == h.preference for h in selection.hosts)


@given(mx_records, seeds, st.randoms(use_true_random=False))
def test_same_seed_same_order_whatever_the_answer_order(
    records: list[MXRecord], seed: int, shuffler: random.Random
) -> None:
    first = select_mx(records, rng=random.Random(seed))
    again = select_mx(records, rng=random.Random(seed))
    assert first == again
    permuted = list(records)
    shuffler.shuffle(permuted)
    assert select_mx(permuted, rng=random.Random(seed)).hosts == first.hosts


@given(mx_records, seeds, st.sets(names, max_size=3))
def test_no_host_at_or_below_our_own_preference(
    records: list[MXRecord], seed: int, local: set[str]
) -> None:
    selection = select_mx(records, rng=random.Random(seed), local_names=local)
    ours = [r.preference for r in records if r.exchange in local]
    if ours:
        assert selection.pruned_self
        assert all(h.preference < min(ours) for h in selection.hosts)
        assert not any(h.exchange in local for h in selection.hosts)


def test_equal_preferences_are_spread() -> None:
    records = [MXRecord(10, f"mx{i}.b.example") for i in range(4)]
    firsts = {select_mx(records, rng=random.Random(s)).hosts[0].exchange for s in range(64)}
    assert len(firsts) == 4


junk_text = st.one_of(st.text(max_size=80), st.sampled_from(["", ".", "..", "[1.2.3.4]", "::1"]))
junk_records = st.lists(
    st.builds(MXRecord, st.one_of(st.integers(-(2**40), 2**40), st.booleans()), junk_text),
    max_size=40,
)


@given(junk_records, seeds)
def test_malformed_mx_data_never_raises(records: list[MXRecord], seed: int) -> None:
    selection = select_mx(records, rng=random.Random(seed))
    assert len(selection.hosts) + len(selection.skipped) <= len(records)


address_answers = st.one_of(
    st.sampled_from([Failure.NODATA, Failure.NXDOMAIN, Failure.SERVFAIL, Failure.TIMEOUT]),
    st.lists(
        st.builds(AddressRecord, st.integers(1, 40).map(lambda n: f"192.0.2.{n}")), max_size=4
    ),
)


@given(
    st.lists(st.tuples(preferences, names), min_size=1, max_size=12),
    st.dictionaries(names, address_answers),
    seeds,
    st.integers(1, 6),
)
def test_planner_candidates_unique_and_ordered(
    mx: list[tuple[int, str]], answers: dict[str, object], seed: int, max_hosts: int
) -> None:
    data: dict[tuple[str, str], object] = {("b.example", "MX"): [MXRecord(p, n) for p, n in mx]}
    for name, answer in answers.items():
        data[(name, "A")] = answer
    planner = ResolutionPlanner(
        "b.example", rng=random.Random(seed), address_types=(RType.A,), max_hosts=max_hosts
    )
    result = run_planner(planner, Zone(data))  # type: ignore[arg-type]
    assert isinstance(result, Resolution | PermanentFailure | TemporaryFailure)
    if isinstance(result, Resolution):
        addresses = [c.address for c in result.candidates]
        assert len(addresses) == len(set(addresses))
        prefs = [c.preference for c in result.candidates]
        assert prefs == sorted(prefs)
        assert len({c.host for c in result.candidates}) <= max_hosts
        assert all(isinstance(a, ipaddress.IPv4Address) for a in addresses)
    else:
        assert result.status[0] in "45"


@given(
    st.lists(st.tuples(preferences, names), min_size=1, max_size=12),
    seeds,
    st.sets(names, max_size=2),
)
def test_planner_never_returns_a_host_at_or_below_ours(
    mx: list[tuple[int, str]], seed: int, local: set[str]
) -> None:
    data: dict[tuple[str, str], object] = {("b.example", "MX"): [MXRecord(p, n) for p, n in mx]}
    for i in range(12):
        data[(f"mx{i}.b.example", "A")] = [AddressRecord(f"192.0.2.{i + 1}")]
    planner = ResolutionPlanner(
        "b.example",
        rng=random.Random(seed),
        address_types=(RType.A,),
        local_names=local,
        max_hosts=12,
        max_candidates=12,
    )
    result = run_planner(planner, Zone(data))  # type: ignore[arg-type]
    ours = [p for p, n in mx if n in local]
    if isinstance(result, Resolution):
        assert not any(c.host in local for c in result.candidates)
        if ours:
            assert all(c.preference < min(ours) for c in result.candidates)
        else:
            assert {c.host for c in result.candidates} == {n for _, n in mx}
    else:
        assert ours
        assert result.status == "5.4.6"


junk = st.one_of(st.none(), st.integers(-5, 70000), st.text(max_size=30), st.just("."))
junk_answer = st.lists(
    st.one_of(
        st.builds(MXRecord, junk, junk, junk),
        st.builds(AddressRecord, junk, junk),
        st.builds(CNAMERecord, junk, junk),
    ),
    max_size=8,
)


@given(st.lists(st.one_of(junk_answer, st.sampled_from(list(Failure))), min_size=1, max_size=20))
def test_junk_answers_end_in_a_result(answers: list[object]) -> None:
    planner = ResolutionPlanner("b.example", rng=random.Random(0))
    feed = iter(answers)
    while not planner.done:
        queries = planner.next_queries()
        assert queries
        for query in queries:
            if query not in planner.pending:
                continue
            answer = next(feed, Failure.NXDOMAIN)
            if isinstance(answer, Failure):
                planner.fail(query, answer)
            else:
                planner.answer(query, answer)  # type: ignore[arg-type]
    assert isinstance(planner.result, Resolution | PermanentFailure | TemporaryFailure)
