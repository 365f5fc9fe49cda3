from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omc.application.errors import InvalidArgument
from omc.application.paging import (
    decode_page_token,
    effective_page_size,
    encode_page_token,
    filter_fingerprint,
)
from omc.application.ports import Condition, Op

keys = st.tuples(
    st.datetimes(timezones=st.just(UTC), min_value=datetime(2009, 1, 3)),
    st.text(max_size=20),
    st.dates(min_value=date(2009, 1, 3)),
    st.integers(),
)


@given(keys)
def test_tokens_round_trip(key: tuple) -> None:
    fingerprint = filter_fingerprint("price_ticks", [], False)
    assert decode_page_token(encode_page_token(fingerprint, key), fingerprint) == key


@given(st.text(max_size=64))
def test_garbage_tokens_are_invalid_argument_never_a_crash(token: str) -> None:
    fingerprint = filter_fingerprint("price_ticks", [], False)
    if token:
        with pytest.raises(InvalidArgument):
            decode_page_token(token, fingerprint)


def test_fingerprint_depends_on_filter_order_and_type() -> None:
    btc = [Condition("symbol", Op.IN, ("BTC",))]
    base = filter_fingerprint("price_ticks", btc, False)
    assert base != filter_fingerprint("price_ticks", [], False)
    assert base != filter_fingerprint("price_ticks", btc, True)
    assert base != filter_fingerprint("onchain_metrics", btc, False)


@pytest.mark.parametrize(
    ("requested", "expected"), [(0, 100), (7, 7), (1_000, 1_000), (10**9, 1_000)]
)
def test_page_size_defaults_and_caps(requested: int, expected: int) -> None:
    assert effective_page_size(requested) == expected


def test_negative_page_size_is_invalid() -> None:
    with pytest.raises(InvalidArgument):
        effective_page_size(-1)
