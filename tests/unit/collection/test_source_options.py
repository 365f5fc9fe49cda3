"""OMC_SOURCES__<NAME>__<FIELD>: each source's lists and maps from the environment, checked
when the settings load, with the variable named in the error."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from omc import cli
from omc.adapters.sources.catalog import COLLECTOR_NAMES, default_configs
from omc.adapters.sources.options import DEFAULT_PROTOCOLS, SourcesSettings
from omc.bootstrap.collectors import collector_configs
from omc.bootstrap.settings import Settings

PREFIX = "OMC_SOURCES__"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("OMC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))


def settings_from(monkeypatch: pytest.MonkeyPatch, **variables: str) -> Settings:
    for name, value in variables.items():
        monkeypatch.setenv(PREFIX + name, value)
    return Settings()


def options(settings: Settings, name: str) -> dict[str, object]:
    return dict(collector_configs(settings)[name].options)


def test_every_collector_has_a_settings_model() -> None:
    assert tuple(SourcesSettings.model_fields) == COLLECTOR_NAMES


def test_nothing_set_keeps_every_default(monkeypatch: pytest.MonkeyPatch) -> None:
    configs = collector_configs(settings_from(monkeypatch))
    defaults = default_configs()
    for name in COLLECTOR_NAMES:
        assert configs[name].options == defaults[name].options == {}
        assert configs[name].lease is None
    assert SourcesSettings().defillama_protocols.fetcher_options() == {}
    assert DEFAULT_PROTOCOLS[:2] == ("lido", "aave")


@pytest.mark.parametrize(
    "value", ['["lido", "aave"]', "lido,aave", " lido , aave ,lido", "LIDO,Aave"]
)
def test_slugs_as_a_json_array_or_a_comma_list(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    settings = settings_from(monkeypatch, DEFILLAMA_PROTOCOLS__SLUGS=value)
    assert options(settings, "defillama_protocols") == {"protocols": ("lido", "aave")}


def test_reddit_subreddits_listing_and_posts(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(
        monkeypatch,
        REDDIT_POSTS__SUBREDDITS="r/Bitcoin,ethereum",
        REDDIT_POSTS__LISTING="hot",
        REDDIT_POSTS__POSTS_PER_SUBREDDIT="250",
    )
    assert options(settings, "reddit_posts") == {
        "subreddits": ("Bitcoin", "ethereum"),
        "listing": "hot",
        "max_posts": 250,
    }


def test_sec_ciks_forms_lookback_and_contact(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(
        monkeypatch,
        SEC_FILINGS__CIKS='["1679788", "CIK0001050446", 1507605]',
        SEC_FILINGS__FORM_IMPACTS="s-1=9, 8-K=8, 8-K/A=7, SC 13D=4",
        SEC_FILINGS__LOOKBACK_DAYS="7",
        SEC_FILINGS__USER_AGENT="Research desk research@example.org",
    )
    config = collector_configs(settings)["sec_filings"]
    assert dict(config.options) == {
        "companies": ("0001679788", "0001050446", "0001507605"),
        "form_impacts": {"S-1": 9, "8-K": 8, "8-K/A": 7, "SC 13D": 4},
        "lookback": timedelta(days=7),
    }
    assert config.source.user_agent == "Research desk research@example.org"


def test_sec_form_impacts_as_a_json_object(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(monkeypatch, SEC_FILINGS__FORM_IMPACTS='{"10-K": 6, "4": "3"}')
    assert options(settings, "sec_filings") == {"form_impacts": {"10-K": 6, "4": 3}}


def test_cryptopanic_plan_and_filters(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(
        monkeypatch,
        CRYPTOPANIC_NEWS__PLAN="growth",
        CRYPTOPANIC_NEWS__FILTER="bullish",
        CRYPTOPANIC_NEWS__CURRENCIES="btc,ETH",
        CRYPTOPANIC_NEWS__REGIONS="en,DE",
        CRYPTOPANIC_NEWS__MAX_PAGES="3",
    )
    assert options(settings, "cryptopanic_news") == {
        "plan": "growth",
        "post_filter": "bullish",
        "currencies": ("BTC", "ETH"),
        "regions": ("en", "de"),
        "max_pages": 3,
    }


def test_coinspot_category_and_a_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(
        monkeypatch,
        COINSPOT_ANNOUNCEMENTS__CATEGORY="360001234567",
        COINSPOT_ANNOUNCEMENTS__PER_PAGE="50",
        COINSPOT_PRICES__LEASE_SECONDS="45",
    )
    configs = collector_configs(settings)
    assert dict(configs["coinspot_announcements"].options) == {
        "category": "360001234567",
        "per_page": 50,
    }
    assert configs["coinspot_prices"].lease == timedelta(seconds=45)


def test_settings_survive_a_dump_and_reload(monkeypatch: pytest.MonkeyPatch) -> None:
    # `omc serve --address` re-validates the dumped settings with the flag on top.
    settings = settings_from(
        monkeypatch,
        SEC_FILINGS__CIKS="1679788",
        SEC_FILINGS__FORM_IMPACTS="8-K=8",
        REDDIT_POSTS__SUBREDDITS="Bitcoin",
    )
    assert Settings.model_validate(settings.model_dump()).sources == settings.sources


BAD = [
    ("SEC_FILINGS__CIKS", "1679788,12a", "'12a' is not a valid CIK"),
    ("SEC_FILINGS__CIKS", "12345678901", "is not a valid CIK"),
    ("SEC_FILINGS__CIKS", "", "must name at least one CIK"),
    ("DEFILLAMA_PROTOCOLS__SLUGS", "", "must name at least one DefiLlama protocol slug"),
    ("DEFILLAMA_PROTOCOLS__SLUGS", "[]", "must name at least one"),
    ("DEFILLAMA_PROTOCOLS__SLUGS", '["lido"', "not a JSON array"),
    ("DEFILLAMA_PROTOCOLS__SLUGS", "lido,,aave", "'' is not a valid DefiLlama"),
    ("DEFILLAMA_PROTOCOLS__SLUGS", "lido/../x", "is not a valid DefiLlama"),
    ("REDDIT_POSTS__SUBREDDITS", "Bit coin", "'Bit coin' is not a valid subreddit"),
    ("REDDIT_POSTS__LISTING", "best", "'new', 'hot', 'top' or 'rising'"),
    ("REDDIT_POSTS__POSTS_PER_SUBREDDIT", "0", "greater than or equal to 1"),
    ("SEC_FILINGS__FORM_IMPACTS", "8K=8", "unknown form '8K'"),
    ("SEC_FILINGS__FORM_IMPACTS", "S-1=11", "impact of S-1 must be a whole number from 1 to 10"),
    ("SEC_FILINGS__FORM_IMPACTS", '{"8-K": 0}', "from 1 to 10 (got 0)"),
    ("SEC_FILINGS__FORM_IMPACTS", "8-K=high", "(got 'high')"),
    ("SEC_FILINGS__FORM_IMPACTS", "8-K", "is not FORM=IMPACT"),
    ("SEC_FILINGS__FORM_IMPACTS", "", "must name at least one form"),
    ("SEC_FILINGS__USER_AGENT", "omc bot", "must name a contact e-mail address"),
    ("CRYPTOPANIC_NEWS__FILTER", "moon", "'rising', 'hot'"),
    ("CRYPTOPANIC_NEWS__PLAN", "../admin", "should match pattern"),
    ("CRYPTOPANIC_NEWS__CURRENCIES", "BTC,$ETH", "'$ETH' is not a valid coin symbol"),
    ("COINSPOT_ANNOUNCEMENTS__CATEGORY", "news", "should match pattern"),
    ("COINSPOT_PRICES__LEASE_SECONDS", "0", "greater than 0"),
    ("REDDIT_POSTS__SLUGS", "lido", "Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD, ids=[f"{f}={v}" for f, v, _ in BAD])
def test_a_bad_value_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    field: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv(PREFIX + field, value)
    with pytest.raises(ValidationError, match="sources"):
        Settings()
    # What `omc serve` and `omc collect` print before doing anything else.
    assert cli.main(["collect", "--all"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert f"omc: invalid {PREFIX}{field}:" in err
    assert message in err


def test_an_unknown_source_names_the_known_ones(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(PREFIX + "TWITTER__BASE_URL", "https://x.test")
    assert cli.main(["serve"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "invalid OMC_SOURCES: " in err
    assert "unknown source(s) twitter; known: coinspot_prices, defillama_protocols" in err
