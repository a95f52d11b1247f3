// The room's JSON API and its live stream, shared by the room page and the
// projector. Connecting, reconnecting and resuming live here and nowhere else.
//
// The database is the source of truth and the websocket is a fast path.
// Every event carries the room's seq; `lastSeq` is the newest one applied.
// An event at or below it is a duplicate, and one beyond lastSeq + 1 means
// something was missed, which is fetched from /events before going on.
// Everything that moves lastSeq runs through `serially`, so events are
// applied one at a time, in order.

const RECONNECT_BASE_MS = 500;
const RECONNECT_CAP_MS = 15000;

// How the server ends a socket. This table mirrors streaming/close_codes.py,
// where each name carries a CLOSE_ prefix: change the two together.
const CLOSE = Object.freeze({
  SERVICE_RESTART: 1012, // the process is going away: resume on another one
  TOO_SLOW: 1013, // this socket fell behind: resume from lastSeq
  TRY_AGAIN_LATER: 1013, // the server can't start a stream now (its database is down): resume with backoff
  INVALID_SINCE: 4400, // `since` was not a seq: start again from fresh history
  UNAUTHORIZED: 4401, // this socket lost its access: the room needs its password, or a teacher signed out or was removed
  REMOVED: 4403, // a teacher removed this participant: never come back as them
  ROOM_NOT_FOUND: 4404, // no such room
  ROOM_DELETED: 4410, // the room was deleted: never come back
});

// Answers that mean "this browser may not read the room (any more)": retrying
// can't help until someone types the password.
const LOCKED_CODES = new Set(["password_required", "wrong_password", "invalid_token"]);

// ---------------------------------------------------------------------------
// HTTP

class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    // How long the server asked us to wait before sending again (Retry-After), if it did.
    this.retryAfterSeconds = null;
  }

  get locksOut() {
    return (this.status === 401 || this.status === 403) && LOCKED_CODES.has(this.code);
  }
}

function csrfToken() {
  const prefix = "csrftoken=";
  const cookie = document.cookie.split("; ").find((part) => part.startsWith(prefix));
  return cookie ? decodeURIComponent(cookie.slice(prefix.length)) : "";
}

// Answers that mean "no server took this request": none at all (0), or the
// proxy's while a server restarts (502, 503), or a busy server's 503
// overloaded. A request that is safe to send twice is sent again after each
// of these waits (jittered), or after the server's Retry-After if it asked
// for longer, then given up.
const UNANSWERED_STATUSES = new Set([0, 502, 503]);
const RESEND_DELAYS_MS = [250, 500, 1000, 2000];

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A function that calls the room's API with the session cookie and answers
// the parsed body, or throws ApiError with the server's code and message.
// With { resend: true } an unanswered request is sent again, as it was, a few
// times before the error is thrown: only for requests that can't take effect
// twice. A post carries its client_id; a browser that joins again keeps its
// participant (a join that took effect unseen leaves at most an unused one).
export function roomApi(roomName) {
  const base = `/api/rooms/${encodeURIComponent(roomName)}`;
  return async function api(method, path, body, { resend = false } = {}) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await request(base + path, method, body);
      } catch (error) {
        const delay = RESEND_DELAYS_MS[attempt];
        if (!resend || delay === undefined || !UNANSWERED_STATUSES.has(error.status)) throw error;
        // Spread over up to half as long again, so the refused don't all come back at once.
        const asked = (error.retryAfterSeconds ?? 0) * 1000;
        await pause(asked > delay ? asked * (1 + Math.random() / 2) : delay * (0.5 + Math.random() / 2));
      }
    }
  };
}

export async function request(url, method, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", gettext("Could not reach the server. Check your connection."));
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data?.error ?? {};
    const failure = new ApiError(
      response.status,
      error.code ?? "error",
      error.message ?? interpolate(gettext("The server answered %(status)s."), { status: response.status }, true),
      error,
    );
    // Seconds (the only form we send); a proxy's date form is ignored.
    const retryAfter = Number(response.headers.get("Retry-After"));
    if (Number.isFinite(retryAfter) && retryAfter > 0) failure.retryAfterSeconds = retryAfter;
    throw failure;
  }
  return data;
}

// ---------------------------------------------------------------------------
// The live stream

// The page supplies what differs between pages:
//   reload()        fetch and render fresh history; returns the head seq it was read at
//   apply(event)    render one event, called strictly in seq order
//   onHello(room)   the room as the server sees it on (re)connect
//   onStatus(name, notice)  "connecting" | "live" | "reconnecting" | "locked" | "removed" | "deleted" | "missing"
//   onEnd(reason)   the stream stopped for good: "locked" | "removed" | "deleted" | "missing"
export class RoomStream {
  constructor({ roomName, api, reload, apply, onHello = () => {}, onStatus = () => {}, onEnd = () => {} }) {
    this.roomName = roomName;
    this.api = api;
    this.reload = reload;
    this.apply = apply;
    this.onHello = onHello;
    this.onStatus = onStatus;
    this.onEnd = onEnd;
    this.lastSeq = 0;
    this.historyLoaded = false;
    this.socket = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.stopped = false;
    // Frames queued under an older epoch are dropped after a recovery: the
    // next socket replays everything after lastSeq anyway.
    this.epoch = 0;
    this.queueTail = Promise.resolve();

    window.addEventListener("offline", () => {
      if (this.socket) this.recover(new Error("the browser went offline"));
    });
    window.addEventListener("online", () => {
      if (this.retryTimer === null) return;
      clearTimeout(this.retryTimer);
      this.open();
    });
  }

  start() {
    this.stopped = false;
    this.attempt = 0;
    this.onStatus("connecting", null);
    this.open();
  }

  serially(task) {
    const run = this.queueTail.then(task);
    this.queueTail = run.catch(() => {});
    return run;
  }

  // Fresh history in the stream's queue, so no event is applied halfway through it.
  reloadHistory() {
    return this.serially(() => this.loadHistory());
  }

  // The page dropped what it showed; the next start loads the history afresh.
  forgetHistory() {
    this.historyLoaded = false;
  }

  async loadHistory() {
    this.lastSeq = await this.reload();
    this.historyLoaded = true;
  }

  async open() {
    this.retryTimer = null;
    if (this.stopped) return;
    if (!this.historyLoaded) {
      // History first, socket second: the socket resumes from the head the
      // history page was read at, so nothing in between is lost.
      try {
        await this.reloadHistory();
      } catch (error) {
        if (this.endFor(error)) return;
        console.warn("could not load the history", error);
        this.retryLater();
        return;
      }
    }
    if (this.stopped) return;
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener("message", (event) => {
      const epoch = this.epoch;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.serially(() => (epoch === this.epoch ? this.handleFrame(frame) : undefined)).catch((error) =>
        this.recover(error),
      );
    });
    socket.addEventListener("close", (event) => this.closed(socket, event.code));
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const name = encodeURIComponent(this.roomName);
    return `${scheme}//${location.host}/ws/rooms/${name}/?since=${this.lastSeq}`;
  }

  closed(socket, code) {
    if (this.socket !== socket) return;
    this.socket = null;
    if (code === CLOSE.ROOM_DELETED) return this.end("deleted", gettext("This room was deleted."));
    if (code === CLOSE.ROOM_NOT_FOUND) return this.end("missing", gettext("This room no longer exists."));
    if (code === CLOSE.UNAUTHORIZED) return this.end("locked", gettext("This room needs its password."));
    if (code === CLOSE.REMOVED) return this.end("removed", gettext("A teacher removed you from this room."));
    if (code === CLOSE.INVALID_SINCE) this.historyLoaded = false;
    // Any other code, SERVICE_RESTART and TOO_SLOW included, is resumed from lastSeq.
    this.retryLater({ atOnce: code === CLOSE.SERVICE_RESTART });
  }

  // Who reads the stream changed (this browser joined the room). The server
  // decides what a socket is sent, a participant's own held posts, their own
  // name in an anonymous room, when the socket starts: start a new one, from lastSeq.
  reconnect() {
    if (this.stopped || !this.socket) return;
    this.epoch += 1;
    const socket = this.socket;
    this.socket = null;
    socket.close();
    this.open();
  }

  // Whether `error` means retrying is pointless; if so, the stream has ended.
  endFor(error) {
    if (!(error instanceof ApiError)) return false;
    if (error.locksOut) {
      this.end("locked", gettext("This room needs its password."));
      return true;
    }
    if (error.code === "removed") {
      this.end("removed", gettext("A teacher removed you from this room."));
      return true;
    }
    if (error.status === 404 && error.code === "room_not_found") {
      this.end("missing", gettext("This room no longer exists."));
      return true;
    }
    return false;
  }

  // The page stops the stream itself when it learns first (a refused post, a deleted room).
  stop(status) {
    this.stopped = true;
    this.epoch += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.onStatus(status, null);
  }

  end(reason, notice) {
    if (this.stopped) return;
    this.stop(reason);
    this.onStatus(reason, notice);
    this.onEnd(reason);
  }

  // `atOnce`: a live stream closed for a restart comes back without waiting.
  // The restarting process already spreads its closes over a few seconds, so
  // a class does not come back in the same instant, and every moment waited
  // here is a moment the room's new messages are late (issue 12). Only the
  // first try: a second close (another draining process) backs off as usual.
  retryLater({ atOnce = false } = {}) {
    if (this.stopped || this.retryTimer !== null) return;
    this.onStatus("reconnecting", gettext("Reconnecting…"));
    const ceiling = Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** this.attempt);
    const wait = atOnce && this.attempt === 0 ? 0 : Math.random() * ceiling;
    this.attempt += 1;
    // Full jitter otherwise: after a crash, a whole class must not come back
    // in the same instant.
    this.retryTimer = setTimeout(() => this.open(), wait);
  }

  // Applying failed part-way (say, a gap fill lost the network): drop this
  // socket and resume from the last event that was applied.
  recover(error) {
    if (this.stopped) return;
    if (this.endFor(error)) return;
    console.warn("resuming the room stream", error);
    this.epoch += 1;
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.retryLater();
  }

  async handleFrame(frame) {
    if (frame.type === "hello") {
      this.attempt = 0;
      this.onStatus("live", null);
      this.onHello(frame.room);
    } else if (frame.type === "reset") {
      await this.loadHistory();
    } else if (Number.isInteger(frame.seq)) {
      await this.applyInOrder(frame);
    }
  }

  async applyInOrder(event) {
    if (event.seq <= this.lastSeq) return;
    if (event.seq > this.lastSeq + 1) await this.fillGap(event.seq - 1);
    if (event.seq <= this.lastSeq) return;
    if (event.seq !== this.lastSeq + 1) {
      throw new Error(`events ${this.lastSeq + 1}–${event.seq - 1} are missing`);
    }
    this.applyOne(event);
  }

  applyOne(event) {
    this.lastSeq = event.seq;
    // Unknown types still advance lastSeq, so a newer server can't stall us.
    this.apply(event);
  }

  async fillGap(through) {
    while (this.lastSeq < through) {
      let page;
      try {
        page = await this.api("GET", `/events?since=${this.lastSeq}`);
      } catch (error) {
        if (error.status === 409 && error.code === "reset") {
          await this.loadHistory();
          return;
        }
        throw error;
      }
      const before = this.lastSeq;
      for (const event of page.events) {
        if (event.seq > this.lastSeq) this.applyOne(event);
      }
      if (!page.has_more || this.lastSeq === before) return;
    }
  }
}

// ---------------------------------------------------------------------------
// The room's clock

// setTimeout can't wait longer than this (about 24.8 days); a later closing
// time is simply checked again when the timer fires.
const MAX_TIMER_MS = 2 ** 31 - 1;

// Nothing is streamed when a room's time runs out, so the pages watch the
// clock themselves. The answer is called with the room whenever it changes,
// which replaces the watch before; null (or a closed room) just ends it.
export function closingWatch(onClosed) {
  let timer = null;
  return function watch(room) {
    clearTimeout(timer);
    timer = null;
    if (!room?.is_open || !room.closes_at) return;
    // Measured on this device's clock, which may be wrong: a closing time that
    // has already passed here is left to the server to confirm (a refused post).
    const wait = new Date(room.closes_at).getTime() - Date.now();
    if (wait <= 0) return;
    timer = setTimeout(() => (wait > MAX_TIMER_MS ? watch(room) : onClosed()), Math.min(wait + 250, MAX_TIMER_MS));
  };
}
