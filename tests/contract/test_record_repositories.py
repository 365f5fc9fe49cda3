"""The RecordRepository contract, for every record type, over memory and Postgres."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from omc.application.ports import (
    Condition,
    IngestResult,
    LedgerRepositories,
    Op,
    PageRequest,
    RecordRepository,
)
from omc.domain.record import sort_key
from tests.contract.kinds import KINDS, RecordKind


@pytest.fixture(params=KINDS, ids=[kind.name for kind in KINDS])
def kind(request: pytest.FixtureRequest) -> RecordKind:
    result: RecordKind = request.param
    return result


@pytest.fixture
def repository(kind: RecordKind, repositories: LedgerRepositories) -> RecordRepository[Any]:
    return kind.repository(repositories)


async def list_all(
    repository: RecordRepository[Any],
    conditions: list[Condition],
    *,
    size: int,
    newest_first: bool = False,
) -> list[Any]:
    """Every matching record, walking the keyset pages; checks page invariants on the way."""
    collected: list[Any] = []
    after = None
    for _ in range(1_000):
        page = await repository.list(conditions, PageRequest(size, after, newest_first))
        assert len(page.items) <= size
        collected.extend(page.items)
        if page.next_after is None:
            return collected
        assert len(page.items) == size
        assert page.next_after == sort_key(page.items[-1])
        after = page.next_after
    raise AssertionError("paging did not end")


async def test_new_records_are_inserted_and_repeats_are_duplicates(
    kind: RecordKind, repository: RecordRepository[Any]
) -> None:
    batch = [kind.make(i) for i in range(5)]

    assert await repository.add_many(batch[:3]) == IngestResult(inserted=3)
    assert await repository.add_many(batch) == IngestResult(inserted=2, duplicate=3)
    assert await repository.add_many(batch) == IngestResult(duplicate=5)
    assert len(await list_all(repository, [], size=100)) == 5


async def test_an_empty_batch_stores_nothing(repository: RecordRepository[Any]) -> None:
    assert await repository.add_many([]) == IngestResult()
    assert (await repository.stats()).count == 0


async def test_records_come_back_exactly_as_stored(
    kind: RecordKind, repository: RecordRepository[Any]
) -> None:
    batch = [kind.make(i) for i in range(6)]
    await repository.add_many(batch)

    stored = await list_all(repository, [], size=100)

    assert stored == sorted(batch, key=sort_key)
    for got, sent in zip(stored, sorted(batch, key=sort_key), strict=True):
        for name, value in vars_of(sent).items():
            returned = getattr(got, name)
            assert type(returned) is type(value), name
            # Decimal equality ignores scale; the text shows "1.50" stayed "1.50".
            assert str(returned) == str(value), name
            if isinstance(returned, datetime):
                assert returned.tzinfo == UTC, name


def vars_of(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


@pytest.mark.parametrize("newest_first", [False, True], ids=["oldest_first", "newest_first"])
@pytest.mark.parametrize("size", [1, 4, 7, 50])
async def test_keyset_pages_concatenate_to_the_full_ordered_result(
    kind: RecordKind, repository: RecordRepository[Any], size: int, newest_first: bool
) -> None:
    batch = [kind.make(i) for i in range(20)]
    random.Random(7).shuffle(batch)
    # Spread over several batches: order must not depend on insertion order.
    for start in range(0, len(batch), 6):
        await repository.add_many(batch[start : start + 6])

    walked = await list_all(repository, [], size=size, newest_first=newest_first)

    assert walked == sorted(batch, key=sort_key, reverse=newest_first)


async def test_the_last_full_page_says_nothing_follows(
    kind: RecordKind, repository: RecordRepository[Any]
) -> None:
    await repository.add_many([kind.make(i) for i in range(4)])

    first = await repository.list([], PageRequest(2))
    second = await repository.list([], PageRequest(2, first.next_after))

    assert first.next_after is not None
    assert len(second.items) == 2
    assert second.next_after is None


async def test_time_ranges_are_half_open(
    kind: RecordKind, repository: RecordRepository[Any]
) -> None:
    batch = [kind.make(i) for i in range(12)]  # time groups 0..3, three records each
    await repository.add_many(batch)
    conditions = [
        Condition(kind.time_field, Op.GTE, kind.time_of_group(1)),
        Condition(kind.time_field, Op.LT, kind.time_of_group(3)),
    ]

    found = await list_all(repository, conditions, size=4)

    assert found == sorted(batch[3:9], key=sort_key)


async def test_conditions_combine_and_paging_respects_them(
    kind: RecordKind, repository: RecordRepository[Any]
) -> None:
    batch = [kind.make(i) for i in range(18)]
    await repository.add_many(batch)
    # The second sort field of each kind varies between records of one time.
    field = type(batch[0]).SORT_FIELDS[1]
    wanted = getattr(batch[1], field)
    conditions = [
        Condition(field, Op.EQ, wanted),
        Condition(kind.time_field, Op.GTE, kind.time_of_group(2)),
    ]
    expected = sorted(
        (r for r in batch[6:] if getattr(r, field) == wanted),
        key=sort_key,
    )

    assert expected
    assert await list_all(repository, conditions, size=2) == expected
    assert await list_all(repository, conditions, size=2, newest_first=True) == expected[::-1]


async def test_in_matches_any_of_the_values(
    kind: RecordKind, repository: RecordRepository[Any]
) -> None:
    batch = [kind.make(i) for i in range(9)]
    await repository.add_many(batch)
    field = type(batch[0]).SORT_FIELDS[1]
    values = (getattr(batch[0], field), "ZZZ")

    found = await list_all(repository, [Condition(field, Op.IN, values)], size=100)
    nothing = await list_all(repository, [Condition(field, Op.IN, ("nope",))], size=100)

    assert found == sorted((r for r in batch if getattr(r, field) in values), key=sort_key)
    assert nothing == []


async def test_stats_count_rows_and_span_their_time(
    kind: RecordKind, repository: RecordRepository[Any]
) -> None:
    empty = await repository.stats()
    batch = [kind.make(i) for i in range(7)]
    await repository.add_many(batch)

    stats = await repository.stats()

    assert (empty.record_type, empty.count, empty.earliest, empty.latest) == (
        kind.name,
        0,
        None,
        None,
    )
    times = [getattr(r, kind.stats_field) for r in batch]
    assert (stats.record_type, stats.count) == (kind.name, 7)
    assert (stats.earliest, stats.latest) == (min(times), max(times))
    assert stats.earliest is not None
    assert stats.earliest.tzinfo == UTC
