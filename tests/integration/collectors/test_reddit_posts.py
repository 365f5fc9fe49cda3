from __future__ import annotations

from omc.application.filters import SocialPostFilter
from omc.domain.collection import RunStatus
from omc.domain.human import SentimentLabel

from .conftest import Harness


async def posts(harness: Harness) -> dict[str, object]:
    listed = await harness.use_cases.list_social_posts(SocialPostFilter())
    return {p.title: p for p in listed.items}


async def test_pages_with_after_skips_stickied_and_reads_text_rules(harness: Harness) -> None:
    await harness.run("reddit_posts")
    by_title = await posts(harness)
    assert not any("Daily General Discussion" in title for title in by_title)
    assert harness.server.hits("/r/CryptoCurrency/new.json") == 2  # first page + `after`
    assert by_title["Click the link for the dot plot"].currencies == ()  # type: ignore[attr-defined]
    assert by_title["$LINK and Polkadot are pumping"].currencies == ("LINK", "DOT")  # type: ignore[attr-defined]
    bearer = by_title["Bearer tokens in exchange APIs explained"]
    assert bearer.sentiment_label is SentimentLabel.NEUTRAL  # type: ignore[attr-defined]
    crash = by_title["Market crash incoming? Bear market fears"]
    assert crash.sentiment_label is SentimentLabel.BEARISH  # type: ignore[attr-defined]
    assert crash.currencies == ("SOL",)  # type: ignore[attr-defined]
    breakout = by_title["Bitcoin breaks out, bullish momentum"]
    assert breakout.url.startswith("https://www.reddit.com/r/CryptoCurrency/comments/")  # type: ignore[attr-defined]


async def test_sends_a_descriptive_user_agent(harness: Harness) -> None:
    await harness.run("reddit_posts")
    agents = {r.headers["user-agent"] for r in harness.server.seen() if r.path.startswith("/r/")}
    assert len(agents) == 1
    assert agents.pop().startswith("python:omc-collector:")


async def test_stops_at_max_posts(harness: Harness) -> None:
    run = await harness.run("reddit_posts", subreddits=("CryptoCurrency",), max_posts=3)
    assert harness.server.hits("/r/CryptoCurrency/new.json") == 1
    limits = {r.query["limit"] for r in harness.server.seen()}
    assert limits == {"3"}
    assert run.status is RunStatus.SUCCESS


async def test_a_post_missing_its_title_makes_a_partial_run(harness: Harness) -> None:
    harness.server.fixture("/r/Bitcoin/new.json", "reddit_posts", "Bitcoin_missing_title.json")
    run = await harness.run("reddit_posts", subreddits=("Bitcoin",))
    assert run.status is RunStatus.PARTIAL
    assert (run.inserted, run.rejected) == (1, 1)


async def test_one_subreddit_down_still_stores_the_others(harness: Harness) -> None:
    from tests.support.fixture_server import server_error

    harness.server.always("/r/Bitcoin/new.json", server_error())
    run = await harness.run("reddit_posts")
    assert run.status is RunStatus.PARTIAL
    assert run.inserted == 6
    assert "r/Bitcoin" in run.error
