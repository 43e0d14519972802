"""Web chat conversations: a pre-chat form becomes an interaction in the routing core, messages are stored
with their sequence number before anyone is told, and routing events move the conversation along.

One conversation may span several interactions (each transfer is a new one); every interaction carries its
conversation's id in its attributes, so the routing events alone say which conversation they concern.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import timedelta
from typing import Any, Protocol

from gateway.acd import Channel, CustomerContext, Event, EventType, NewInteraction, SupervisorAction
from gateway.acd_server.port import RoutingPort, WorkDone
from gateway.chat._conversation import Live, chat_interaction, chat_queue, now, public, seq_of
from gateway.chat._conversation import client_id as parse_client_id
from gateway.chat._form import PreChat, check_text, parse_form
from gateway.chat._limits import RateLimiter
from gateway.chat._model import ChatPush, ChatStore, message_json
from gateway.chat._texts import expand_quick_text, transcript_text
from gateway.chat._tokens import VisitorTokens
from gateway.chat.errors import (
    BadMessage,
    ConversationEnded,
    NotYourConversation,
    QueueFull,
    RateLimited,
    UnknownConversation,
    UnknownEntry,
)
from gateway.config import ChatConfig, ChatEntryConfig
from gateway.storage import ConversationRecord, MessageRecord, column_length

__all__ = ["ChatService", "OfflineDesk"]

logger = logging.getLogger("helpline.chat")

# what the columns a conversation's customer is matched by hold; a longer value is not kept (not matched)
_CUSTOMER_ID_LENGTH = column_length("chat_conversations.customer_id")
_EMAIL_LENGTH = column_length("chat_conversations.customer_email")
_ENDS = {EventType.ABANDONED: "customer", EventType.EXITED: "system", EventType.REFUSED: "system"}


class OfflineDesk(Protocol):
    """Files an offline message (the form outside business hours) on the customer's case; the case id or
    None when no case could be filed (the CRM does not know them)."""

    async def web_to_case(self, entry: str, form: Mapping[str, str], message: str) -> str | None: ...


class ChatService:
    def __init__(
        self,
        *,
        config: ChatConfig,
        routing: RoutingPort,
        store: ChatStore,
        push: ChatPush,
        tokens: VisitorTokens,
        agent_names: Mapping[str, str],
        staff_names: Mapping[str, str] | None = None,
        queues: Collection[str],
        is_open: Callable[[str], bool] = lambda hours: True,
        offline: OfflineDesk | None = None,
        identify: Callable[[NewInteraction], Awaitable[CustomerContext]] | None = None,
        position_every_seconds: float = 2.0,
    ) -> None:
        """`identify` asks the CRM who the customer is (the routing server's desk): with `sticky_agent` on, a
        chat is routed with that answer (routing does not ask again) and to the customer's last agent."""
        self._config = config
        self._routing = routing
        self._store = store
        self._push = push
        self.tokens = tokens
        self._agents = frozenset(agent_names)  # who a chat may be transferred to
        self._names = {**(staff_names or {}), **agent_names}  # agents and the supervisors who take chats over
        self._queues = frozenset(queues)  # the chat queues a conversation may be transferred to
        self._is_open = is_open
        self._offline = offline
        self._identify = identify
        self._every = position_every_seconds
        self._limiter = RateLimiter(
            messages=config.rate_limit.messages, per_seconds=config.rate_limit.per_seconds
        )
        opens = config.open_rate_limit
        self._opens = RateLimiter(messages=opens.messages, per_seconds=opens.per_seconds)
        self._live: dict[str, Live] = {}
        self._ending: dict[str, str] = {}  # interaction id -> who is ending it
        self._positions: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Carry on with the conversations open before a restart; routing has replayed its log already."""
        self._routing.subscribe(self._on_events)
        self._routing.complete_with(Channel.CHAT, self._completed)
        for record in await self._store.open_conversations():
            live = Live(record, legs=int(record.interaction_id.rsplit("-", 1)[-1]))
            self._live[record.id] = live
            if record.agent_id is not None and record.agent_id not in self._agents:
                live.taken_by = record.agent_id  # a supervisor took it over: its routed leg is over
                continue
            view = self._routing.interaction(record.interaction_id)
            if view is None or str(view.state) == "ended":
                await self._finish(record.id, "system")
            elif (
                view.agent_id is not None
                and str(view.state) == "assigned"
                and view.agent_id != record.agent_id
            ):
                await self._assigned(record.id, view.agent_id)
        self._positions = asyncio.create_task(self._announce_positions(), name="chat-positions")
        logger.info("chat started: %d open conversations", len(self._live))

    async def stop(self) -> None:
        if self._positions is not None:
            self._positions.cancel()
            with suppress(asyncio.CancelledError):
                await self._positions
        await self._store.close()

    # -- the customer's side -----------------------------------------------------------------------------

    def entry_form(self, entry_id: object) -> dict[str, Any]:
        entry = self._entry(entry_id)
        hours = entry.business_hours is None or self._is_open(entry.business_hours)
        busy = hours and self._routing.queue_full(entry.queue)
        return {
            "entry": entry.id,
            "title": entry.title,
            "open": hours and not busy,
            "busy": busy,  # open hours, but the queue is full: the form asks for an offline message too
            "max_message_length": self._config.max_message_length,
            "fields": [f.model_dump() for f in entry.fields],
            "topics": {k: t.label for k, t in entry.topics.items()},
        }

    async def open(
        self, entry_id: object, form: object, offline_message: object = None, *, address: str = ""
    ) -> dict[str, Any]:
        """The submitted form: a conversation routed at once, or an offline message on a case when the entry
        is closed, its queue is full (QueueFull without a message) or the customer left a message.
        `address` is the visitor's network address: it may open only so many."""
        entry = self._entry(entry_id)
        if not self._opens.allow(address):
            opens = self._config.open_rate_limit
            raise RateLimited(f"too many chats opened: at most {opens.messages} per {opens.per_seconds:g} s")
        pre = parse_form(entry, form)
        closed = entry.business_hours is not None and not self._is_open(entry.business_hours)
        if closed or offline_message is not None:
            return await self._leave_offline(entry, pre, offline_message)
        queue = chat_queue(pre, entry)
        if self._routing.queue_full(queue):  # routing would refuse it: a message instead, as when closed
            raise QueueFull("all our agents are busy: leave a message and we will reply", queue=queue)
        conversation_id = uuid.uuid4().hex
        email = dict(pre.values).get("email", "").lower()
        record = ConversationRecord(
            id=conversation_id,
            entry=entry.id,
            interaction_id=f"{conversation_id}-1",
            visitor_name=pre.visitor_name,
            form=dict(pre.values),
            state="waiting",
            created_at=now(),
            customer_email=email if 0 < len(email) <= _EMAIL_LENGTH else None,
        )
        new = chat_interaction(record, pre, entry, leg=1)
        if self._identify is not None and self._config.sticky_agent.enabled:
            # asked here only when sticky routing needs it before routing; routing takes this answer, even
            # a CRM that did not answer (the desk asks once per interaction): an outage costs one timeout
            customer = await self._identify(new)
            known = customer.customer_id if not customer.crm_unavailable else None
            record = replace(
                record, customer_id=known if known and len(known) <= _CUSTOMER_ID_LENGTH else None
            )
            new = replace(new, customer=customer, preferred_agent=await self._last_agent(record))
        await self._store.create(record)
        self._live[conversation_id] = Live(record)
        await self._routing.enqueue(new)
        logger.info("chat %s opened on entry %s", conversation_id, entry.id)
        return {"conversation": self._summary(conversation_id), "token": self.tokens.issue(conversation_id)}

    async def _last_agent(self, record: ConversationRecord) -> str | None:
        """The agent who last served this customer, when sticky routing is on and they still take chats."""
        sticky = self._config.sticky_agent
        if not sticky.enabled:
            return None
        since = record.created_at - timedelta(days=sticky.lookback_days)
        recent = await self._store.last_agents(
            customer_id=record.customer_id, email=record.customer_email, since=since
        )
        # a chat a supervisor took over names the supervisor, and an agent may have left the configuration:
        # the latest of the recent ones who is an agent now
        agent = next((a for a in recent if a in self._agents), None)
        if agent is None:
            return None
        logger.info("chat %s: the customer's last agent %s is preferred", record.id, agent)
        return agent

    async def _leave_offline(self, entry: ChatEntryConfig, pre: PreChat, message: object) -> dict[str, Any]:
        text = check_text(message, max_length=self._config.max_message_length)
        case = await self._offline.web_to_case(entry.id, dict(pre.values), text) if self._offline else None
        return {"offline": True, "case_id": case}

    def resume_token(self, token: object) -> str:
        conversation_id = self.tokens.verify(token)
        return conversation_id

    async def resume(self, conversation_id: str, after: object) -> dict[str, Any]:
        """Everything the customer's window shows, from the messages after `after` on."""
        record = await self._record(conversation_id)
        messages = await self._store.messages(conversation_id, after=seq_of(after))
        summary = self._summary(conversation_id) if conversation_id in self._live else public(record)
        return {"conversation": summary, "messages": [message_json(m) for m in messages]}

    async def customer_send(
        self, conversation_id: str, client_id: object, text: object, *, connection: str | None = None
    ) -> dict[str, Any]:
        """Store the customer's message and tell the agent, the supervisors watching and the customer's
        connections but `connection`, the one it came from (its ack carries the stored message)."""
        live = self._open_live(conversation_id)
        checked = check_text(text, max_length=self._config.max_message_length)
        if not self._limiter.allow(conversation_id):
            rate = self._config.rate_limit
            raise RateLimited(f"too many messages: at most {rate.messages} per {rate.per_seconds:g} s")
        message = MessageRecord(
            conversation_id,
            0,
            "customer",
            live.record.visitor_name,
            checked,
            now(),
            client_id=parse_client_id(client_id),
        )
        return await self._post(live, message, skip=connection)

    async def customer_typing(self, conversation_id: str, typing: object) -> None:
        live = self._open_live(conversation_id)
        data = {"conversation_id": conversation_id, "typing": typing is True}
        if live.record.agent_id is not None:
            await self._push.to_agent(live.record.agent_id, "typing", data)
        await self._push.to_watchers(conversation_id, "typing", {**data, "by": "customer"})

    async def customer_read(self, conversation_id: str, seq: object) -> None:
        """The customer has read up to `seq`: kept with the conversation (a reload or a restart shows it
        again) and told to the agent."""
        live = self._open_live(conversation_id)
        read = seq_of(seq)
        if not await self._moves_mark(live, read, "customer_read_seq", agents=False):
            return
        live.record = replace(live.record, customer_read_seq=read)
        await self._store.update(conversation_id, customer_read_seq=read)
        data = {"conversation_id": conversation_id, "by": "customer", "seq": read}
        if live.record.agent_id is not None:
            await self._push.to_agent(live.record.agent_id, "read", data)
        await self._push.to_watchers(conversation_id, "read", data)  # a supervisor who took the chat over

    async def _moves_mark(self, live: Live, read: int, mark: str, *, agents: bool) -> bool:
        """`read` is past the reader's `mark` (a field of the record) and names a message they can have
        seen: a mark past the last message (forged) would show the next ones as read before anyone did."""
        if read <= getattr(live.record, mark):
            return False
        seen = await self._store.messages(live.record.id, after=read - 1, include_agents_only=agents)
        # (and the mark has not moved past it meanwhile)
        return any(m.seq == read for m in seen) and read > getattr(live.record, mark)

    async def customer_end(self, conversation_id: str) -> None:
        live = self._open_live(conversation_id)
        if live.taken_by is not None:  # the routed leg ended at the take-over: nothing left in routing
            await self._finish(conversation_id, "customer")
            return
        iid = live.record.interaction_id
        self._ending[iid] = "customer"
        view = self._routing.interaction(iid)
        if view is not None and str(view.state) == "assigned":
            await self._routing.end(iid, "customer_ended", await self._closing(live, "customer"))
        elif view is not None and str(view.state) in ("waiting", "offered"):
            await self._routing.abandon(iid)

    async def rate(self, conversation_id: str, stars: object) -> None:
        if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
            raise BadMessage("rating must be a whole number from 1 to 5")
        await self._record(conversation_id)
        await self._store.update(conversation_id, rating=stars)

    async def transcript(self, conversation_id: str) -> str:
        record = await self._record(conversation_id)
        return transcript_text(record, await self._store.messages(conversation_id), self._names)

    async def _closing(self, live: Live, ended_by: str) -> WorkDone:
        """What the case activity of a chat being ended gets: the transcript's link and its text."""
        record = replace(live.record, ended_at=now(), ended_by=ended_by)
        text = transcript_text(record, await self._store.messages(record.id), self._names)
        return WorkDone(transcript_url=self.transcript_url(record.id), transcript=text)

    async def _completed(self, interaction_id: str, done: WorkDone) -> WorkDone:
        """A chat ended from outside its window (`POST /api/v1/interactions/{id}/end`): its transcript goes
        on the case activity as when the agent ends it from the window."""
        live = self._live.get(interaction_id.rsplit("-", 1)[0])
        if live is None or live.record.interaction_id != interaction_id:
            return done
        closing = await self._closing(live, self._ending.get(interaction_id, "agent"))
        return replace(done, transcript_url=closing.transcript_url, transcript=closing.transcript)

    def transcript_url(self, conversation_id: str) -> str:
        return f"/api/v1/chats/{conversation_id}/transcript"

    # -- the agent's side --------------------------------------------------------------------------------

    def agent_chats(self, agent_id: str) -> list[dict[str, Any]]:
        return [self._summary(cid) for cid, live in self._live.items() if live.record.agent_id == agent_id]

    async def agent_history(self, agent_id: str, conversation_id: object, after: object) -> dict[str, Any]:
        live = self._agent_live(agent_id, conversation_id)
        messages = await self._store.messages(live.record.id, after=seq_of(after), include_agents_only=True)
        return {
            "conversation": self._summary(live.record.id),
            "messages": [message_json(m) for m in messages],
        }

    async def agent_send(
        self, agent_id: str, conversation_id: object, client_id: object, text: object
    ) -> dict[str, Any]:
        live = self._agent_live(agent_id, conversation_id)
        checked = check_text(text, max_length=self._config.max_message_length)
        name = self._names.get(agent_id, agent_id)
        message = MessageRecord(
            live.record.id,
            0,
            "agent",
            name,
            checked,
            now(),
            author_id=agent_id,
            client_id=parse_client_id(client_id),
        )
        return await self._post(live, message)

    async def agent_typing(self, agent_id: str, conversation_id: object, typing: object) -> None:
        live = self._agent_live(agent_id, conversation_id)
        await self._push.to_customer(live.record.id, "typing", {"typing": typing is True})
        data = {"conversation_id": live.record.id, "typing": typing is True, "by": "agent"}
        await self._push.to_watchers(live.record.id, "typing", data)

    async def agent_read(self, agent_id: str, conversation_id: object, seq: object) -> None:
        """The agent has read up to `seq`: kept with the conversation and told to the customer."""
        live = self._agent_live(agent_id, conversation_id)
        read = seq_of(seq)
        if not await self._moves_mark(live, read, "agent_read_seq", agents=True):
            return
        live.record = replace(live.record, agent_read_seq=read)
        await self._store.update(live.record.id, agent_read_seq=read)
        await self._push.to_customer(live.record.id, "read", {"by": "agent", "seq": read})

    async def agent_end(
        self, agent_id: str, conversation_id: object, disposition: object, notes: object
    ) -> None:
        live = self._agent_live(agent_id, conversation_id)
        if live.taken_by is not None:
            await self._finish(live.record.id, "agent")
            return
        done = replace(
            await self._closing(live, "agent"),
            disposition=disposition if isinstance(disposition, str) and disposition else None,
            notes=notes if isinstance(notes, str) and notes else None,
        )
        self._ending[live.record.interaction_id] = "agent"
        await self._routing.end(live.record.interaction_id, "completed", done)

    async def transfer(self, agent_id: str, conversation_id: object, to: object, note: object) -> None:
        """To `queue:<id>` or `agent:<id>`: the chat is routed again, its whole history with it; the note is a
        message only agents see."""
        live = self._agent_live(agent_id, conversation_id)
        if live.taken_by is not None:
            raise BadMessage("a chat taken over by a supervisor cannot be transferred")
        queue, only = self._target(live, to)
        if isinstance(note, str) and note.strip():
            text = check_text(note, max_length=self._config.max_message_length)
            whisper = MessageRecord(
                live.record.id,
                0,
                "agent",
                self._names.get(agent_id, agent_id),
                text,
                now(),
                author_id=agent_id,
                visibility="agents",
            )
            await self._store.append(whisper)
        old = live.record.interaction_id
        current = self._routing.interaction(old)
        live.legs += 1
        pre = parse_form(self._entry(live.record.entry), live.record.form)
        new = replace(
            chat_interaction(live.record, pre, self._entry(live.record.entry), leg=live.legs),
            queue=queue,
            only_agent=only,
            skills=None,
            customer=current.customer if current is not None else None,  # as a call's transfer: not asked
        )
        # the help flag was the transferring agent's request: the next agent starts without it
        live.record = replace(
            live.record, interaction_id=new.id, agent_id=None, agent_name=None, state="waiting", help=False
        )
        await self._store.update(
            live.record.id, interaction_id=new.id, agent_id=None, agent_name=None, state="waiting", help=False
        )
        await self._routing.end(
            old, "transferred", WorkDone(transcript_url=self.transcript_url(live.record.id))
        )
        await self._push.to_agent(
            agent_id, "chat_closed", {"conversation_id": live.record.id, "reason": "transferred"}
        )
        await self._post(live, self._system(live.record.id, "You are being transferred; please wait."))
        await self._routing.enqueue(new)

    def quick_text(self, agent_id: str, conversation_id: object, shortcut: object) -> str:
        live = self._agent_live(agent_id, conversation_id)
        return expand_quick_text(
            self._config.quick_texts,
            shortcut,
            form=live.record.form,
            agent_name=self._names.get(agent_id, agent_id),
        )

    async def set_help(self, agent_id: str, conversation_id: object, on: object) -> dict[str, Any]:
        """The agent raises (or lowers) the chat's help flag, kept with the conversation (a restart keeps it
        raised); every supervisor's monitor shows it."""
        live = self._agent_live(agent_id, conversation_id)
        if live.record.help is not (on is True):
            live.record = replace(live.record, help=on is True)
            await self._store.update(live.record.id, help=on is True)
        return self._summary(live.record.id)

    async def help_changed(self, summary: Mapping[str, Any]) -> None:
        await self._push.to_supervisors("chat", summary)

    # -- for supervisors: monitor, whisper, take over ----------------------------------------------------

    def live_chats(self) -> list[dict[str, Any]]:
        return [self._summary(cid) for cid in self._live]

    async def watch(self, supervisor_id: str, conversation_id: object, after: object) -> dict[str, Any]:
        """What a supervisor who starts reading a live chat gets: its summary and its messages after `after`
        (whispers too); the caller then sends them the conversation's events as they happen."""
        live = self._any_live(conversation_id)
        messages = await self._store.messages(live.record.id, after=seq_of(after), include_agents_only=True)
        if seq_of(after) == 0:
            await self._audit(supervisor_id, "chat_monitor", live)
        return {
            "conversation": self._summary(live.record.id),
            "messages": [message_json(m) for m in messages],
        }

    async def whisper(
        self, supervisor_id: str, conversation_id: object, client_id: object, text: object
    ) -> dict[str, Any]:
        """A message only the agent (and supervisors) see: stored with visibility `agents`, never sent to
        the customer's sockets nor put in the customer's history or transcript."""
        live = self._any_live(conversation_id)
        checked = check_text(text, max_length=self._config.max_message_length)
        message = MessageRecord(
            live.record.id,
            0,
            "supervisor",
            self._names.get(supervisor_id, supervisor_id),
            checked,
            now(),
            author_id=supervisor_id,
            client_id=parse_client_id(client_id),
            visibility="agents",
        )
        stored, new = await self._store.append(message)
        data = message_json(stored)
        if new:
            if live.record.agent_id is not None:
                await self._push.to_agent(live.record.agent_id, "message", data)
            await self._push.to_watchers(live.record.id, "message", data)
            await self._audit(supervisor_id, "chat_whisper", live, {"seq": stored.seq})
        return data

    async def take_over(self, supervisor_id: str, conversation_id: object) -> dict[str, Any]:
        """The supervisor becomes the chat's agent: the agent's routed leg ends (`taken_over`) so the core
        releases them into wrap-up, and the customer carries on with the supervisor in the same chat."""
        live = self._any_live(conversation_id)
        agent_id, iid = live.record.agent_id, live.record.interaction_id
        if live.taken_by is not None or agent_id is None or live.record.state != "active":
            raise BadMessage("only a chat an agent is handling can be taken over")
        name = self._names.get(supervisor_id, supervisor_id)
        await self._audit(supervisor_id, "chat_take_over", live)
        await self._routing.end(
            iid, "taken_over", WorkDone(transcript_url=self.transcript_url(live.record.id))
        )
        live.taken_by = supervisor_id
        live.record = replace(live.record, agent_id=supervisor_id, agent_name=name, help=False)
        await self._store.update(live.record.id, agent_id=supervisor_id, agent_name=name, help=False)
        data = {"conversation_id": live.record.id, "reason": "taken_over", "by": name}
        await self._push.to_agent(agent_id, "chat_closed", data)
        await self._push.to_customer(live.record.id, "agent_joined", {"agent_name": name})
        system = replace(self._system(live.record.id, f"{name} took over the chat."), author_id=supervisor_id)
        await self._post(live, system)
        summary = self._summary(live.record.id)
        await self._push.to_supervisors("chat", summary)
        return {"conversation": summary}

    async def _audit(
        self, supervisor_id: str, action: str, live: Live, details: Mapping[str, Any] | None = None
    ) -> None:
        await self._routing.record_action(
            SupervisorAction(
                actor=supervisor_id,
                action=action,
                target=live.record.id,
                interaction_id=live.record.interaction_id,
                agent_id=live.record.agent_id,
                details={"conversation_id": live.record.id, **(details or {})},
            )
        )

    def _any_live(self, conversation_id: object) -> Live:
        live = self._live.get(conversation_id) if isinstance(conversation_id, str) else None
        if live is None:
            raise ConversationEnded(f"conversation {conversation_id!r} is not open")
        return live

    # -- for supervisors (REST) --------------------------------------------------------------------------

    async def messages(self, conversation_id: str, *, include_whispers: bool = True) -> list[dict[str, Any]]:
        await self._record(conversation_id)
        found = await self._store.messages(conversation_id, include_agents_only=include_whispers)
        return [message_json(m) for m in found]

    # -- routing events ----------------------------------------------------------------------------------

    async def _on_events(self, events: Sequence[Event]) -> None:
        for event in events:
            cid = self._conversation_of(event)
            if cid is None:
                continue
            try:
                await self._follow(cid, event)
            except Exception:
                logger.exception("chat %s: could not follow %s", cid, event.type)

    async def _follow(self, cid: str, event: Event) -> None:
        if event.type is EventType.ASSIGNED and event.agent_id is not None:
            await self._assigned(cid, event.agent_id)
        elif event.type is EventType.QUEUED:
            await self._announce_position(cid)
        elif event.type is EventType.ENDED and event.data.get("reason") not in ("transferred", "taken_over"):
            await self._finish(cid, self._ending.pop(event.interaction_id or "", "agent"))
        elif event.type in _ENDS:
            await self._finish(cid, self._ending.pop(event.interaction_id or "", _ENDS[event.type]))

    def _conversation_of(self, event: Event) -> str | None:
        iid = event.interaction_id
        if iid is None:
            return None
        cid = iid.rsplit("-", 1)[0]
        live = self._live.get(cid)
        return cid if live is not None and live.record.interaction_id == iid else None

    async def _assigned(self, cid: str, agent_id: str) -> None:
        live = self._live[cid]
        name = self._names.get(agent_id, agent_id)
        answered = live.record.answered_at or now()
        live.record = replace(
            live.record, agent_id=agent_id, agent_name=name, state="active", answered_at=answered
        )
        live.position = None
        await self._store.update(
            cid, agent_id=agent_id, agent_name=name, state="active", answered_at=answered
        )
        await self._push.to_customer(cid, "agent_joined", {"agent_name": name})
        history = await self._store.messages(cid, include_agents_only=True)
        await self._push.to_agent(
            agent_id,
            "chat",
            {"conversation": self._summary(cid), "messages": [message_json(m) for m in history]},
        )
        await self._post(live, replace(self._system(cid, f"{name} joined the chat."), author_id=agent_id))
        await self._push.to_supervisors("chat", self._summary(cid))

    async def _finish(self, cid: str, ended_by: str) -> None:
        live = self._live.pop(cid, None)
        if live is None:
            return
        self._limiter.forget(cid)
        ended = now()
        live.record = replace(live.record, state="ended", ended_at=ended, ended_by=ended_by)
        await self._store.update(cid, state="ended", ended_at=ended, ended_by=ended_by)
        said = {"customer": "The customer ended the chat.", "agent": "The agent ended the chat."}
        await self._post(
            live, self._system(cid, said.get(ended_by, "The chat ended: no agent could take it."))
        )
        data = {"conversation_id": cid, "ended_by": ended_by, "transcript_url": self.transcript_url(cid)}
        await self._push.to_customer(cid, "ended", data)
        if live.record.agent_id is not None:
            await self._push.to_agent(live.record.agent_id, "ended", data)
        await self._push.to_watchers(cid, "ended", data)
        await self._push.to_supervisors("chat_ended", {"conversation_id": cid})
        logger.info("chat %s ended by %s", cid, ended_by)

    async def _announce_positions(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            for cid in [c for c, live in self._live.items() if live.record.state == "waiting"]:
                await self._announce_position(cid)

    async def _announce_position(self, cid: str) -> None:
        live = self._live.get(cid)
        estimate = self._routing.wait_estimate(live.record.interaction_id) if live is not None else None
        if live is None or estimate is None:
            return
        now = (estimate.position, estimate.seconds)
        if now != live.position:
            live.position = now
            await self._push.to_customer(cid, "position", {"position": now[0], "wait_seconds": now[1]})

    # -- helpers -----------------------------------------------------------------------------------------

    async def _post(self, live: Live, message: MessageRecord, *, skip: str | None = None) -> dict[str, Any]:
        """Store, then tell both sides: a message is acknowledged only once it has its seq in the database."""
        stored, new = await self._store.append(message)
        data = message_json(stored)
        if new:
            await self._push.to_customer(live.record.id, "message", data, skip=skip)
            if live.record.agent_id is not None:
                await self._push.to_agent(live.record.agent_id, "message", data)
            await self._push.to_watchers(live.record.id, "message", data)
        return data

    def _system(self, cid: str, text: str) -> MessageRecord:
        return MessageRecord(cid, 0, "system", "Helpline", text, now())

    def _target(self, live: Live, to: object) -> tuple[str, str | None]:
        current = self._routing.interaction(live.record.interaction_id)
        queue_now = current.queue if current is not None else self._entry(live.record.entry).queue
        kind, _, name = to.partition(":") if isinstance(to, str) else ("", "", "")
        if kind == "queue" and name in self._queues:
            return name, None
        if kind == "queue":
            raise BadMessage(f"transfer: {name!r} is not a chat queue", queues=sorted(self._queues))
        if kind == "agent" and name in self._agents:
            queue = self._routing.queue_for_agent(name, Channel.CHAT, first=queue_now)
            if queue is None:
                raise BadMessage(f"transfer: agent {name!r} takes chats in no queue")
            return queue, name
        raise BadMessage("transfer: 'to' must be queue:<id> or agent:<id> of a known agent")

    def _entry(self, entry_id: object) -> ChatEntryConfig:
        entry = self._config.entry(entry_id) if isinstance(entry_id, str) else None
        if entry is None:
            raise UnknownEntry(f"no chat entry point {entry_id!r}")
        return entry

    async def _record(self, conversation_id: str) -> ConversationRecord:
        live = self._live.get(conversation_id)
        record = live.record if live is not None else await self._store.get(conversation_id)
        if record is None:
            raise UnknownConversation(f"no conversation {conversation_id!r}")
        return record

    def _open_live(self, conversation_id: str) -> Live:
        live = self._live.get(conversation_id)
        if live is None:
            raise ConversationEnded(f"conversation {conversation_id!r} is over")
        return live

    def _agent_live(self, agent_id: str, conversation_id: object) -> Live:
        live = self._live.get(conversation_id) if isinstance(conversation_id, str) else None
        if live is None:
            raise ConversationEnded(f"conversation {conversation_id!r} is not open")
        if live.record.agent_id != agent_id:
            raise NotYourConversation(f"conversation {conversation_id!r} is not yours")
        return live

    def _summary(self, cid: str) -> dict[str, Any]:
        live = self._live[cid]
        return {
            **public(live.record),
            "agent_id": live.record.agent_id,
            "interaction_id": live.record.interaction_id,
            "position": live.position[0] if live.position else None,
            "wait_seconds": live.position[1] if live.position else None,
            "help": live.record.help,
            "read_by_customer": live.record.customer_read_seq,
            "taken_by": live.taken_by,
        }
