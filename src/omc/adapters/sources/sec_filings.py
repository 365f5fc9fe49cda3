"""SEC EDGAR filings of crypto-exposed companies -> CatalystEvent (Catalyst ledger).

`GET https://data.sec.gov/submissions/CIK##########.json` per company. `filings.recent`
is columnar (parallel arrays: accessionNumber, form, acceptanceDateTime, primaryDocument,
...). Only the configured forms are kept, each with its configured impact. The accession
number is the key, so a filing is stored once ever; the event time is the acceptance
time. The SEC asks for a User-Agent with contact details and at most 10 requests/s.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from omc.adapters.sources._parse import BadRecord, as_dict, parse_time
from omc.adapters.sources.http import MalformedPayload, SourceHttp
from omc.adapters.sources.options import DEFAULT_COMPANIES, DEFAULT_FORM_IMPACTS
from omc.application.collection_ports import FetchResult, Rejected, SourceUnavailable, excerpt
from omc.application.ports import Clock
from omc.domain.catalyst import IMPACT_MAX, IMPACT_MIN, CatalystEvent
from omc.domain.rules import MAX_TITLE

NAME = "sec_filings"
BASE_URL = "https://data.sec.gov"
ARCHIVE_URL = "https://www.sec.gov/Archives/edgar/data"
SEC_RATE_PER_SECOND = 10.0
# Older filings are history, not catalysts; a first run would otherwise load years.
DEFAULT_LOOKBACK = timedelta(days=30)
_COLUMNS = ("accessionNumber", "form", "acceptanceDateTime", "primaryDocument")


def event_type(form: str) -> str:
    return "sec_filing_" + re.sub(r"[^a-z0-9]+", "_", form.lower()).strip("_")


def document_url(cik: str, accession: str, primary_document: str) -> str:
    return f"{ARCHIVE_URL}/{int(cik)}/{accession.replace('-', '')}/{primary_document}"


def _column(recent: dict[str, Any], name: str, index: int) -> Any:
    values = recent.get(name)
    return values[index] if isinstance(values, list) and index < len(values) else None


def parse_submissions(
    payload: Any,
    cik: str,
    *,
    impacts: Mapping[str, int],
    detected_at: datetime,
    since: datetime | None = None,
    source: str = "sec_edgar",
) -> FetchResult[CatalystEvent]:
    if not isinstance(payload, dict):
        raise MalformedPayload(f"{NAME}: CIK{cik}: expected a JSON object")
    try:
        recent = as_dict(as_dict(payload.get("filings"), "filings").get("recent"), "recent")
    except BadRecord as error:
        raise MalformedPayload(f"{NAME}: CIK{cik}: {error}") from None
    company = str(payload.get("name") or f"CIK {int(cik)}")
    tickers = payload.get("tickers") if isinstance(payload.get("tickers"), list) else []
    assert isinstance(tickers, list)
    forms = recent.get("form")
    result = FetchResult[CatalystEvent]()
    for index in range(len(forms) if isinstance(forms, list) else 0):
        form = _column(recent, "form", index)
        if not isinstance(form, str) or form not in impacts:
            continue
        row = {name: _column(recent, name, index) for name in (*_COLUMNS, "primaryDocDescription")}
        try:
            accession = row["accessionNumber"]
            document = row["primaryDocument"]
            if not isinstance(accession, str) or not accession.strip():
                raise BadRecord("accessionNumber: missing")
            accepted = parse_time(row["acceptanceDateTime"], "acceptanceDateTime")
            if since is not None and accepted < since:
                continue
            description = str(row.get("primaryDocDescription") or "").strip()
            title = f"{company} filed {form}" + (f": {description}" if description else "")
            result.records.append(
                CatalystEvent(
                    event_type=event_type(form),
                    title=title[:MAX_TITLE],
                    source=source,
                    external_id=accession.strip(),
                    impact=min(IMPACT_MAX, max(IMPACT_MIN, impacts[form])),
                    occurred_at=accepted,
                    detected_at=detected_at,
                    description=(
                        f"{company} ({', '.join(str(t) for t in tickers) or 'no ticker'}) "
                        f"form {form}, CIK {int(cik)}"
                    ),
                    url=(
                        document_url(cik, accession.strip(), document)
                        if isinstance(document, str) and document
                        else ""
                    ),
                )
            )
        except BadRecord as error:
            result.rejected.append(Rejected(f"CIK{cik}: {error}", excerpt(row)))
    return result


class SecFilings:
    def __init__(
        self,
        http: SourceHttp,
        clock: Clock,
        *,
        # CIKs (a mapping's keys: CIK -> a name for people reading the configuration).
        companies: Iterable[str] = DEFAULT_COMPANIES,
        form_impacts: Mapping[str, int] = DEFAULT_FORM_IMPACTS,
        lookback: timedelta | None = DEFAULT_LOOKBACK,
        source: str = "sec_edgar",
    ) -> None:
        self._http = http
        self._clock = clock
        # CIKs are ten digits with leading zeros in the submissions URL.
        self._ciks = tuple(str(cik).strip().zfill(10) for cik in companies)
        self._impacts = dict(form_impacts)
        self._lookback = lookback
        self._source = source

    @property
    def name(self) -> str:
        return NAME

    async def disabled_reason(self) -> str | None:
        return None if self._ciks else "no SEC companies configured"

    async def fetch(self) -> FetchResult[CatalystEvent]:
        now = self._clock.now()
        since = now - self._lookback if self._lookback else None
        pages = await asyncio.gather(*(self._company(cik, now, since) for cik in self._ciks))
        result = FetchResult[CatalystEvent]()
        for page in pages:
            result.records.extend(page.records)
            result.rejected.extend(page.rejected)
        return result

    async def _company(
        self, cik: str, now: datetime, since: datetime | None
    ) -> FetchResult[CatalystEvent]:
        try:
            payload = await self._http.get_json(f"/submissions/CIK{cik}.json")
            return parse_submissions(
                payload,
                cik,
                impacts=self._impacts,
                detected_at=now,
                since=since,
                source=self._source,
            )
        except SourceUnavailable as error:
            return FetchResult(rejected=[Rejected(f"CIK{cik}: {error}", cik)])
