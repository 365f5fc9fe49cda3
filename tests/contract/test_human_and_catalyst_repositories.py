"""News, social posts and catalyst events: currency arrays, enums, news url uniqueness."""

from __future__ import annotations

from omc.application.ports import Condition, IngestResult, LedgerRepositories, Op, PageRequest
from omc.domain.human import SentimentLabel
from tests.support.records import catalyst_event, news_item, social_post


async def test_a_news_url_already_stored_under_another_key_is_a_duplicate(
    repositories: LedgerRepositories,
) -> None:
    repo = repositories.news_items
    await repo.add_many([news_item("a", url="https://news.example/story")])

    result = await repo.add_many([news_item("b", url="https://news.example/story"), news_item("c")])

    assert result == IngestResult(inserted=1, duplicate=1)
    page = await repo.list([], PageRequest(10))
    assert [item.external_id for item in page.items] == ["a", "c"]


async def test_two_news_items_with_one_url_in_a_batch_keep_the_first(
    repositories: LedgerRepositories,
) -> None:
    repo = repositories.news_items

    result = await repo.add_many(
        [
            news_item("z-first", url="https://news.example/same"),
            news_item("a-second", url="https://news.example/same"),
        ]
    )

    assert result == IngestResult(inserted=1, duplicate=1)
    page = await repo.list([], PageRequest(10))
    assert [item.external_id for item in page.items] == ["z-first"]


async def test_news_by_currency_and_source(repositories: LedgerRepositories) -> None:
    repo = repositories.news_items
    await repo.add_many(
        [
            news_item("1", 0, currencies=("BTC", "ETH")),
            news_item("2", 1, currencies=("ETH",)),
            news_item("3", 2, currencies=()),
            news_item("4", 3, currencies=("ETH",), source="coindesk"),
        ]
    )

    async def ids(*conditions: Condition) -> list[str]:
        return [n.external_id for n in (await repo.list(conditions, PageRequest(10))).items]

    assert await ids(Condition("currencies", Op.CONTAINS, "ETH")) == ["1", "2", "4"]
    assert await ids(Condition("currencies", Op.CONTAINS, "BTC")) == ["1"]
    assert await ids(Condition("currencies", Op.CONTAINS, "BT")) == []
    assert await ids(
        Condition("currencies", Op.CONTAINS, "ETH"), Condition("source", Op.IN, ("coindesk",))
    ) == ["4"]


async def test_currencies_and_sentiment_round_trip(repositories: LedgerRepositories) -> None:
    await repositories.news_items.add_many(
        [
            news_item("1", 0, currencies=("SOL", "BTC"), label=SentimentLabel.BEARISH),
            news_item("2", 1, currencies=(), label=None, score=None),
        ]
    )

    first, second = (await repositories.news_items.list([], PageRequest(10))).items

    assert first.currencies == ("SOL", "BTC")  # stored order, not sorted
    assert first.sentiment_label is SentimentLabel.BEARISH
    assert (second.currencies, second.sentiment_label, second.sentiment_score) == ((), None, None)


async def test_social_posts_by_currency_platform_and_community(
    repositories: LedgerRepositories,
) -> None:
    repo = repositories.social_posts
    await repo.add_many(
        [
            social_post("1", 0, currencies=("ETH",), label=SentimentLabel.IMPORTANT),
            social_post("2", 1, currencies=("BTC", "ETH"), community="r/Bitcoin"),
            social_post("3", 2, currencies=("BTC",), platform="x"),
        ]
    )

    async def ids(*conditions: Condition) -> list[str]:
        return [p.external_id for p in (await repo.list(conditions, PageRequest(10))).items]

    assert await ids(Condition("currencies", Op.CONTAINS, "BTC")) == ["2", "3"]
    assert await ids(Condition("community", Op.EQ, "r/Bitcoin")) == ["2"]
    assert await ids(
        Condition("platform", Op.IN, ("reddit",)), Condition("currencies", Op.CONTAINS, "ETH")
    ) == ["1", "2"]
    first = (await repo.list([], PageRequest(1))).items[0]
    assert first.sentiment_label is SentimentLabel.IMPORTANT


async def test_catalyst_events_by_type_and_currency(repositories: LedgerRepositories) -> None:
    repo = repositories.catalyst_events
    await repo.add_many(
        [
            catalyst_event("1", 0, event_type="exchange_listing", currencies=("PEPE",)),
            catalyst_event("2", 1, event_type="sec_filing_8_k", currencies=("COIN",)),
            catalyst_event("3", 2, event_type="exchange_delisting", currencies=("PEPE", "X")),
        ]
    )

    async def ids(*conditions: Condition) -> list[str]:
        return [e.external_id for e in (await repo.list(conditions, PageRequest(10))).items]

    assert await ids(
        Condition("event_type", Op.IN, ("exchange_delisting", "exchange_listing"))
    ) == ["1", "3"]
    assert await ids(Condition("currencies", Op.CONTAINS, "PEPE")) == ["1", "3"]
    assert await ids(Condition("currencies", Op.CONTAINS, "COIN")) == ["2"]
