"""Wrapping a gRPC method handler's behaviour in an async context manager.

Interceptors that must act in the RPC's own task (to set context variables the servicer
reads, or to bound its run time) and whose failures must reach the logging/error
interceptor wrap the behaviour, not the continuation: the behaviour is what runs in the
call's task, inside the outer interceptor's error handling.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import grpc
from grpc import aio

Behaviour = Callable[[Any, aio.ServicerContext], Any]
# Called once per call, in the call's task, with the call's context.
Guard = Callable[[aio.ServicerContext], AbstractAsyncContextManager[None]]


def streams(handler: grpc.RpcMethodHandler) -> bool:
    """True when the request or the response is a stream."""
    return bool(handler.request_streaming or handler.response_streaming)


def guarded(handler: grpc.RpcMethodHandler, guard: Guard) -> grpc.RpcMethodHandler:
    """The same handler, its behaviour run inside `guard(context)`."""
    codecs = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(_wrap(handler.unary_unary, guard), **codecs)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(_wrap(handler.stream_unary, guard), **codecs)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(_wrap(handler.unary_stream, guard), **codecs)
    return grpc.stream_stream_rpc_method_handler(_wrap(handler.stream_stream, guard), **codecs)


def _wrap(behaviour: Behaviour, guard: Guard) -> Behaviour:
    # grpc.aio iterates an async-generator behaviour and awaits any other (a streaming
    # one then writes through context.write): the wrapper must keep the same shape.
    if inspect.isasyncgenfunction(behaviour):

        async def iterate(request: Any, context: aio.ServicerContext) -> AsyncIterator[Any]:
            async with guard(context):
                async for response in behaviour(request, context):
                    yield response

        return iterate

    async def call(request: Any, context: aio.ServicerContext) -> Any:
        async with guard(context):
            return await behaviour(request, context)

    return call
