"""Every code the room websocket closes with, and why: the client acts on each differently.

rooms/static/rooms/stream.js mirrors this table in one block. 1012 and 1013
come from RFC 6455's registry, which browsers report as they are; ours are
in the 4000s, left to applications, with the HTTP status of the same refusal.
"""

# The process is restarting (a deploy): reconnect at once with `since`; another process answers.
CLOSE_SERVICE_RESTART = 1012
# The client fell too far behind, live or in its replay; reconnect with `since`.
# RFC 6455's "try again later", as is the next one: the client does the same for both.
CLOSE_TOO_SLOW = 1013
# The socket can't start now (the database is unreachable): reconnect with backoff and `since`.
CLOSE_TRY_AGAIN_LATER = 1013
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

# Counted by code in the metrics: ours, and those a client or the server
# ends a socket with in the ordinary course (normal, going away, no status,
# abnormal, internal error).
KNOWN_CLOSE_CODES = frozenset(
    {1000, 1001, 1005, 1006, 1011}
    | {value for name, value in dict(globals()).items() if name.startswith("CLOSE_") and isinstance(value, int)}
)
