"""Web chat: the customer's widget protocol (`/chat`), the agent's (`/agent-chat`), conversations routed
through the core, messages sequenced and stored before they are acknowledged, transcripts on the case.

    chat = ChatService(config=..., routing=hub, store=ChatRecords(database), push=ChatSockets(realtime), ...)
    await chat.start()      # after routing has started: carries on with the conversations left open
"""

from __future__ import annotations

from gateway.chat._offline import CtiOffline
from gateway.chat._service import ChatService, OfflineDesk
from gateway.chat._sockets import ChatSockets
from gateway.chat._tokens import VisitorTokens

__all__ = ["ChatService", "ChatSockets", "CtiOffline", "OfflineDesk", "VisitorTokens"]
