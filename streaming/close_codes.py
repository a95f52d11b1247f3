"""Every code the room websocket closes with, and why: the client acts on each differently.

rooms/static/rooms/stream.js mirrors this table in one block. 1012 and 1013
come from RFC 6455's registry, which browsers report as they are; ours are
in the 4000s, left to applications, with the HTTP status of the same refusal.
"""

# The process is restarting (a deploy): reconnect at once with `since`; another process answers.
CLOSE_SERVICE_RESTART = 1012
# The client fell too far behind, live or in its replay; reconnect with `since`.
CLOSE_TOO_SLOW = 1013
# `since` is not a whole number ≥ 0.
CLOSE_INVALID_SINCE = 4400
# This socket may no longer read the room as it did: a private room at its start, or after its
# password changed; a teacher who signed out, or a co-moderator the owner removed.
CLOSE_UNAUTHORIZED = 4401
# A teacher removed and blocked this participant: don't reconnect as them.
CLOSE_REMOVED = 4403
# No room has this name.
CLOSE_ROOM_NOT_FOUND = 4404
# The room was deleted while the socket listened: don't reconnect.
CLOSE_ROOM_DELETED = 4410
