"""The offline planner: intents, symbols, windows, ambiguity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from omc.domain.agent.intents import Analyst, Intent, answer_clarification, plan_question

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
KNOWN = ("BTC", "ETH", "SOL")


@pytest.mark.parametrize(
    ("question", "intents", "symbols"),
    [
        ("what is going on with SOL this week?",
         {Intent.PRICES, Intent.SENTIMENT, Intent.EVENTS, Intent.ONCHAIN}, ("SOL",)),
        ("BTC price today", {Intent.PRICES}, ("BTC",)),
        ("what is the sentiment on ethereum?", {Intent.SENTIMENT}, ("ETH",)),
        ("any listing announcements for coins I hold?", {Intent.EVENTS, Intent.BOOKS}, ()),
        ("how did my BTC trades do last month?", {Intent.BOOKS}, ("BTC",)),
        ("TVL and on-chain metrics for ETH", {Intent.ONCHAIN}, ("ETH",)),
        ("is the data quality ok?", {Intent.QUALITY}, ()),
    ],
)  # fmt: skip
def test_intents_and_symbols(question: str, intents: set[Intent], symbols: tuple[str]) -> None:
    plan = plan_question(question, ANCHOR, KNOWN)

    assert set(plan.intents) >= intents
    assert plan.symbols == symbols
    assert not plan.clarification


def test_windows_end_at_the_anchor() -> None:
    assert plan_question("BTC price today", ANCHOR, KNOWN).start == ANCHOR - timedelta(days=1)
    last = plan_question("BTC price over the last 3 days", ANCHOR, KNOWN)
    assert (last.start, last.end) == (ANCHOR - timedelta(days=3), ANCHOR)
    assert plan_question("BTC this year", ANCHOR, KNOWN).start == ANCHOR - timedelta(days=90)


def test_analysts_follow_the_intents() -> None:
    plan = plan_question("how did my BTC trades do, and what is the news?", ANCHOR, KNOWN)

    assert set(plan.analysts) == {Analyst.HUMAN, Analyst.BOOKS}


def test_a_question_without_a_coin_asks_which_and_the_answer_settles_it() -> None:
    plan = plan_question("how are prices doing?", ANCHOR, KNOWN)
    assert "Which coins" in plan.clarification

    settled = answer_clarification(plan, "bitcoin and SOL", KNOWN)
    assert settled.symbols == ("BTC", "SOL")
    assert not settled.clarification


def test_same_question_same_plan() -> None:
    question = "What is going on with SOL this week?"
    assert plan_question(question, ANCHOR, KNOWN) == plan_question(question, ANCHOR, KNOWN)
