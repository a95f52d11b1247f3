"""Each event as text, once per audience that sees it differently: what a socket is sent.

An event is rendered for the public, for the room's moderators and for the
participant it is about (rooms/payloads.py decides what each may see), and
each distinct rendering is serialised once, where the event is stored. Most
events look the same to everyone and travel as one text, as before; a post
in an anonymous room, a held post, a mute travel as two or three. A socket
learns at its start who reads it (its Viewer) and picks its text from the
event; the cost of an event grows with its audiences, never with sockets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rooms.models import RoomEvent
from rooms.payloads import Audience, Viewer, event_payload, event_subject


def event_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class EventTexts:
    """One event's texts. `public` is a skip frame when the public may not know of the event."""

    seq: int
    public: str
    # None where that audience reads the public text.
    moderator: str | None = None
    subject_id: int | None = None
    subject: str | None = None

    def text_for(self, viewer: Viewer) -> str:
        if viewer.moderator:
            return self.moderator or self.public
        if self.subject is not None and viewer.participant_id == self.subject_id:
            return self.subject
        return self.public

    def layer_message(self, room_id: int) -> dict[str, Any]:
        """As the channel layer carries it; `text` alone is what the code before audiences read."""
        message: dict[str, Any] = {"type": "room.event", "room": room_id, "seq": self.seq, "text": self.public}
        if self.moderator is not None:
            message["moderator_text"] = self.moderator
        if self.subject is not None:
            message["subject"] = self.subject_id
            message["subject_text"] = self.subject
        return message

    @classmethod
    def from_layer_message(cls, message: dict[str, Any]) -> EventTexts:
        return cls(
            seq=message["seq"],
            public=message["text"],
            moderator=message.get("moderator_text"),
            subject_id=message.get("subject"),
            subject=message.get("subject_text"),
        )


def uniform_texts(seq: int, payload: dict[str, Any]) -> EventTexts:
    """A frame everyone is sent alike (a reset)."""
    return EventTexts(seq=seq, public=event_text(payload))


def event_texts(event: RoomEvent) -> EventTexts:
    public = event_payload(event, Audience.PUBLIC)
    moderator = event_payload(event, Audience.MODERATOR)
    subject_id = event_subject(event)
    subject = event_payload(event, Audience.SUBJECT) if subject_id is not None else public
    return EventTexts(
        seq=event.seq,
        public=event_text(public),
        moderator=None if moderator == public else event_text(moderator),
        subject_id=None if subject == public else subject_id,
        subject=None if subject == public else event_text(subject),
    )
