"""The public face of a channel on an async event loop, shared by the asyncio and trio drivers.

A subclass supplies the I/O: :meth:`AsyncChannelBase._execute` carries out one action of the pump
with the loop's primitives, :meth:`AsyncChannelBase._translate` maps the loop's own exceptions to
the standard ones (``TimeoutError``, ``ConnectionError``), and
:meth:`AsyncChannelBase._abort_now` drops the transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Self

from ..connection import ConnectionClosed, Event
from ..errors import RemoteProtocolError
from ._common import ChannelInfo
from ._pump import Step

__all__ = ["AsyncChannelBase"]


class AsyncChannelBase(ChannelInfo):
    """One live connection: events in with :meth:`next_event`, events out with :meth:`send`."""

    # -- for subclasses -------------------------------------------------------------------------

    async def _execute(self, action: Any) -> Any:
        raise NotImplementedError

    def _translate(self, exc: Exception) -> Exception:
        """Map an exception of the event loop's own to a standard one (the default keeps it)."""
        return exc

    async def _abort_now(self) -> None:
        raise NotImplementedError

    async def _run(self, step: Step) -> Any:
        """Drive one pump generator to its end, carrying out each action it yields."""
        result: Any = None
        error: Exception | None = None
        while True:
            try:
                action = step.throw(error) if error is not None else step.send(result)
            except StopIteration as stop:
                return stop.value
            try:
                result, error = await self._execute(action), None
            except Exception as exc:
                result, error = None, self._translate(exc)

    # -- the public interface -------------------------------------------------------------------

    async def next_event(self) -> Event:
        """Return the next event from the peer, reading as needed.

        Never returns NEED_DATA. A STARTTLS upgrade the connection asks for is carried out here
        (see :attr:`last_starttls`) and not returned. Returns
        :class:`~mailproto.connection.ConnectionClosed` at the end of the conversation.

        :raises TimeoutError: the peer sent nothing for ``conn.read_timeout`` seconds (or the
            idle timeout when the connection gives no advice).
        :raises mailproto.errors.RemoteProtocolError: the peer sent something invalid.
        :raises ServerClosing: the server is shutting down while this connection was idle.
        """
        ready = self._pump.next_event_nowait()
        if ready is not None:
            return ready
        event: Event = await self._run(self._pump.next_event())
        return event

    async def send(self, *events: Event) -> None:
        """Send each event (``conn.send``), write the bytes and wait until they drain.

        With no events it only writes what the connection queued by other means (a server's
        ``accept()``, say). A TLS upgrade the events started is carried out, and the channel is
        closed afterwards if the connection says the conversation is over.
        """
        pump = self._pump
        write = pump.send_nowait(events)
        if write is None:
            await self._run(pump.after_send())
        elif write.data:
            try:
                await self._execute(write)
            except Exception as exc:  # as _run would raise it: translated
                translated = self._translate(exc)
                if translated is exc:
                    raise
                raise translated from exc

    async def aclose(self) -> None:
        """Write what is queued, close our side, and close the transport."""
        await self._run(self._pump.close())

    async def events(self, *, answer_errors: bool = True) -> AsyncIterator[Event]:
        """Yield events until the conversation ends.

        With ``answer_errors`` (the default), a :class:`~mailproto.errors.RemoteProtocolError`
        that carries a reply is answered with it and iteration goes on; a fatal one is answered,
        the channel closed, and iteration ends. Without it, errors propagate.
        """
        while True:
            try:
                event = await self.next_event()
            except RemoteProtocolError as err:
                if not answer_errors:
                    raise
                if await self._run(self._pump.recover(err)):
                    continue
                return
            if isinstance(event, ConnectionClosed):
                return
            yield event

    def __aiter__(self) -> AsyncIterator[Event]:
        return self.events(answer_errors=False)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            await self.aclose()
        else:
            await self._abort_now()
