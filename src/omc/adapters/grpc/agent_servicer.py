"""AgentService: sessions and the Converse stream, over the agent session use cases.

The caller is always current_principal(); the use cases decide what it may see.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from google.protobuf import struct_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from grpc import aio

from omc.adapters.grpc.principal import current_principal
from omc.adapters.grpc.server import ServiceBinding
from omc.application.agent import AgentSessions
from omc.application.errors import FieldViolation, InvalidArgument
from omc.domain.agent.sessions import AgentEvent, AgentSession, EventKind, SessionStatus
from omc.v1 import agent_pb2 as pb
from omc.v1 import agent_pb2_grpc

AGENT_SERVICE = pb.DESCRIPTOR.services_by_name["AgentService"].full_name
_STATUS: dict[SessionStatus, Any] = {
    status: pb.SessionStatus.Value(f"SESSION_STATUS_{status.name}") for status in SessionStatus
}
_KIND: dict[EventKind, Any] = {
    kind: pb.EventKind.Value(f"EVENT_KIND_{kind.name}") for kind in EventKind
}
_DONE = object()


class AgentServicer(agent_pb2_grpc.AgentServiceServicer):
    def __init__(self, sessions: AgentSessions) -> None:
        self._sessions = sessions

    async def CreateSession(
        self, request: pb.CreateSessionRequest, context: aio.ServicerContext
    ) -> pb.CreateSessionResponse:
        session = await self._sessions.create_session(current_principal(), request.goal)
        return pb.CreateSessionResponse(session=session_to_proto(session))

    async def GetSession(
        self, request: pb.GetSessionRequest, context: aio.ServicerContext
    ) -> pb.GetSessionResponse:
        session = await self._sessions.get_session(current_principal(), request.session_id)
        return pb.GetSessionResponse(session=session_to_proto(session))

    async def ListSessions(
        self, request: pb.ListSessionsRequest, context: aio.ServicerContext
    ) -> pb.ListSessionsResponse:
        page = await self._sessions.list_sessions(
            current_principal(),
            page_size=request.page_size,
            page_token=request.page_token,
            user_id=request.user_id,
        )
        return pb.ListSessionsResponse(
            sessions=[session_to_proto(s) for s in page.sessions],
            next_page_token=page.next_page_token,
        )

    async def CancelSession(
        self, request: pb.CancelSessionRequest, context: aio.ServicerContext
    ) -> pb.CancelSessionResponse:
        session = await self._sessions.cancel_session(current_principal(), request.session_id)
        return pb.CancelSessionResponse(session=session_to_proto(session))

    async def Converse(
        self, request_iterator: AsyncIterator[pb.ConverseRequest], context: aio.ServicerContext
    ) -> AsyncIterator[pb.ConverseResponse]:
        """Client messages are read concurrently with the events going out, so a cancel
        reaches a running turn. Events of one request are streamed before the next
        request's; an error ends the stream with its status."""
        principal = current_principal()
        outbox: asyncio.Queue[Any] = asyncio.Queue()

        async def read() -> None:
            try:
                async for request in request_iterator:
                    action = request.WhichOneof("action")
                    session_id = request.session_id
                    if action == "cancel":
                        # Straight away, not behind the events of a running turn.
                        await self._sessions.cancel_session(principal, session_id)
                        continue
                    await outbox.put((action, session_id, request))
            except Exception as error:
                await outbox.put(error)
            finally:
                await outbox.put(_DONE)

        reader = asyncio.create_task(read())
        try:
            while True:
                item = await outbox.get()
                if item is _DONE:
                    return
                if isinstance(item, Exception):
                    raise item
                action, session_id, request = item
                stream = await self._open(principal, action, session_id, request)
                async for event in stream:
                    yield pb.ConverseResponse(event=event_to_proto(event))
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def _new_session(self, principal: Any, question: str) -> AsyncIterator[AgentEvent]:
        """A new session's stream from its first event. "Session started" goes out before
        the turn begins, so the client hears back at once however busy the server is."""
        session, opening = await self._sessions.open_session(principal, question)
        seen = 0
        for event in opening:
            seen = event.seq
            yield event
        async for event in await self._sessions.ask(principal, session.session_id, question):
            if event.seq > seen:
                yield event

    async def _open(
        self, principal: Any, action: str | None, session_id: str, request: pb.ConverseRequest
    ) -> AsyncIterator[AgentEvent]:
        if action == "ask":
            if not session_id:
                return self._new_session(principal, request.ask.question)
            return await self._sessions.ask(principal, session_id, request.ask.question)
        if action == "answer":
            return await self._sessions.answer(principal, session_id, request.answer.text)
        if action == "reconnect":
            return await self._sessions.follow(principal, session_id, request.reconnect.last_seq)
        raise InvalidArgument([FieldViolation("action", "one of ask, answer, cancel, reconnect")])


def _timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def session_to_proto(session: AgentSession) -> pb.Session:
    return pb.Session(
        session_id=session.session_id,
        owner=session.owner,
        goal=session.goal,
        status=_STATUS[session.status],
        model=session.model,
        create_time=_timestamp(session.created_at),
        update_time=_timestamp(session.updated_at),
        last_seq=session.last_seq,
        error=session.error,
    )


def event_to_proto(event: AgentEvent) -> pb.AgentEvent:
    payload = struct_pb2.Struct()
    payload.update(_jsonable(dict(event.payload)))
    message = pb.AgentEvent(
        session_id=event.session_id,
        seq=event.seq,
        kind=_KIND[event.kind],
        time=_timestamp(event.at),
        payload=payload,
    )
    if event.kind is EventKind.FINAL_ANSWER:
        body = event.payload
        manifest = struct_pb2.Struct()
        manifest.update(_jsonable(dict(body.get("manifest", {}))))
        message.final_answer.CopyFrom(
            pb.FinalAnswer(
                answer=str(body.get("answer", "")),
                claims=[
                    pb.Claim(
                        text=c["text"],
                        evidence_ids=c["evidence_ids"],
                        status=c["status"],
                        note=c.get("note", ""),
                    )
                    for c in body.get("claims", [])
                ],
                citations=[
                    pb.Citation(
                        evidence_id=c["evidence_id"],
                        ref=c.get("ref", ""),
                        ledger=c["ledger"],
                        record_type=c["record_type"],
                        as_of=_timestamp(datetime.fromisoformat(c["as_of"])),
                    )
                    for c in body.get("citations", [])
                ],
                manifest=manifest,
                notice=str(body.get("notice", "")),
            )
        )
    return message


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        return float(value) if abs(value) < 2**53 else str(value)
    return str(value)


def agent_binding(sessions: AgentSessions) -> ServiceBinding:
    servicer = AgentServicer(sessions)
    return ServiceBinding(
        AGENT_SERVICE,
        lambda server: agent_pb2_grpc.add_AgentServiceServicer_to_server(  # type: ignore[no-untyped-call]
            servicer, server
        ),
    )
