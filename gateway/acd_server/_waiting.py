"""What waits (or rings) in each queue, with its enqueue time: the read model behind the console's list of
waiting work and a caller's position, kept from the routing events so neither walks the router."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping

from gateway.acd import Event, EventType, InteractionView

__all__ = ["WaitingWork"]

_ENTERED = (EventType.QUEUED, EventType.OVERFLOWED)
_LEFT_QUEUE = (
    EventType.ASSIGNED,
    EventType.ABANDONED,
    EventType.EXITED,
    EventType.REFUSED,
    EventType.ENDED,
)


class WaitingWork:
    def __init__(self, queues: Iterable[str]) -> None:
        self._members: dict[str, dict[str, float]] = {q: {} for q in queues}
        self._queue_of: dict[str, str] = {}  # one lookup per event, however many queues there are

    def follow(self, event: Event, view: InteractionView | None) -> None:
        """Fold one event; `view`: the interaction as the router has it now (read only when it entered a
        queue)."""
        iid = event.interaction_id
        if iid is None:
            return
        if event.type in _ENTERED:
            self._drop(iid)
            if view is not None and view.queue in self._members:
                self._members[view.queue][iid] = view.enqueue_time
                self._queue_of[iid] = view.queue
        elif event.type in _LEFT_QUEUE:
            self._drop(iid)

    def entered(self, event: Event) -> bool:
        """Whether `follow` needs the interaction's view for `event`."""
        return event.interaction_id is not None and event.type in _ENTERED

    def _drop(self, interaction_id: str) -> None:
        queue = self._queue_of.pop(interaction_id, None)
        if queue is not None:
            self._members[queue].pop(interaction_id, None)

    def members(self, queue_id: str) -> Mapping[str, float]:
        """Interaction id -> enqueue time, of all that wait or ring in the queue."""
        return self._members.get(queue_id, {})

    def oldest(self, queue_id: str, limit: int) -> list[str]:
        """The `limit` oldest, oldest first."""
        members = self._members.get(queue_id)
        if not members:
            return []
        return [iid for iid, _ in heapq.nsmallest(limit, members.items(), key=lambda m: (m[1], m[0]))]
