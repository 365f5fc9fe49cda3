"""COPY text for canonical price ticks, built column-wise from their wire text.

The ticks are valid and canonical (PriceTickColumns.canonical vouched for them): decimals
are plain digits and a point, symbols and sources letters, digits and `_.-`, so no value
needs COPY escaping and the decimal text goes to Postgres as it came. Times are written
in ISO form, which every DateStyle reads the same way.
"""

from __future__ import annotations

import time

from omc.domain.tick_columns import CanonicalPriceTicks

# The order of the fields in PriceTick, which the repository's COPY statement follows.
COLUMNS = ("symbol", "last", "observed_at", "source", "quote", "bid", "ask", "volume_24h")
_NULL = "\\N"


def copy_text(ticks: CanonicalPriceTicks) -> bytes:
    """COPY FROM STDIN text for `ticks`, in batch order."""
    # Ticks of one batch share few distinct seconds: format each once.
    prefixes = {
        second: time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second))
        for second in set(ticks.seconds)
    }
    lines = [
        f"{symbol}\t{last}\t{prefixes[second]}.{micros:06d}+00\t{source}\t{quote}\t"
        f"{bid or _NULL}\t{ask or _NULL}\t{volume or _NULL}\n"
        for symbol, last, second, micros, source, quote, bid, ask, volume in zip(
            ticks.symbols,
            ticks.lasts,
            ticks.seconds,
            ticks.micros,
            ticks.sources,
            ticks.quotes,
            ticks.bids,
            ticks.asks,
            ticks.volumes,
            strict=True,
        )
    ]
    return "".join(lines).encode("ascii")
