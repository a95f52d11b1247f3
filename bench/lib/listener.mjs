// One simulated reader: a websocket that behaves like rooms/static/rooms/stream.js.
//
// It applies events strictly in seq order, fills a jump in seq from
// GET /events, resumes with `since` after any close (jittered exponential
// backoff, to any server), and records what it saw for the report. Because
// events are applied in order, everything at or below `lastSeq` has been
// seen, so a message is lost for this reader exactly when its seq is above
// lastSeq at the end. It also keeps which messages it shows (posted and not
// deleted), for comparing its end state with the database's.

import WebSocket from "ws";

import { request } from "./http.mjs";

const RECONNECT_BASE_MS = 500;
// Lower than the browser's 15 s: a bench run lasts a minute, not a lesson.
const RECONNECT_CAP_MS = 5000;
const HANDSHAKE_TIMEOUT_MS = 10000;
const FILL_RETRY_MS = 250;
// The close a restarting server sends; any other close is worth a closer look.
const CLOSE_SERVICE_RESTART = 1012;

// Open sockets per target, over every listener of this client: a reconnect
// goes where the fewest are, as nginx's least_conn (deploy/nginx.conf) sends
// it in production. Taking the next target instead would put every socket of
// a draining process on the process that restarts next, to move twice.
const openByTarget = new Map();

function leastConnected(targets) {
  let best = 0;
  for (let index = 1; index < targets.length; index += 1) {
    if ((openByTarget.get(targets[index]) ?? 0) < (openByTarget.get(targets[best]) ?? 0)) best = index;
  }
  return best;
}

// `array`, or a copy at least twice as long when `index` is past its end.
function grownToHold(array, index) {
  if (index < array.length) return array;
  const grown = new array.constructor(Math.max(index + 1, array.length * 2));
  grown.set(array);
  return grown;
}

export class Listener {
  constructor({ room, targets, firstTarget, tally, since = 0, token = null }) {
    this.room = room;
    // A participant's token, for a socket that reads as that participant.
    this.token = token;
    // message id → upvotes, as the message.votes events said last.
    this.upvotes = new Map();
    this.targets = targets;
    this.targetIndex = firstTarget;
    this.tally = tally;
    this.lastSeq = since;
    this.socket = null;
    this.stopped = false;
    this.attempt = 0;
    this.retryTimer = null;
    this.queue = [];
    this.busy = false;
    // Per connection: which seqs this socket delivered, to tell a duplicate
    // from a late (out-of-order) frame. Bytes indexed by seq.
    this.seenOnConnection = new Uint8Array(64);
    this.connectionSince = since;
    // The messages this reader shows: message id by seq, 0 where that seq is
    // not a message or the message was deleted. Four bytes a seq keeps
    // thousands of readers small.
    this.shownIdBySeq = new Uint32Array(64);
    this.openedAt = null;
    this.helloAt = null;
    this.firstMessageAt = null;
    this.onFirstHello = null;
  }

  get target() {
    return this.targets[this.targetIndex % this.targets.length];
  }

  open() {
    this.retryTimer = null;
    if (this.stopped) return;
    const token = this.token ? `&token=${this.token}` : "";
    const url = `${this.target.replace(/^http/, "ws")}/ws/rooms/${this.room.name}/?since=${this.lastSeq}${token}`;
    this.connectionSince = this.lastSeq;
    this.connectionOpenedAt = performance.now();
    this.connectionGreeted = false;
    this.seenOnConnection.fill(0);
    if (this.openedAt === null) this.openedAt = performance.now();
    // A browser's Origin, so both servers check it as they would for the page.
    const socket = new WebSocket(url, {
      perMessageDeflate: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      origin: this.target,
    });
    this.socket = socket;
    const target = this.target;
    openByTarget.set(target, (openByTarget.get(target) ?? 0) + 1);
    socket.once("close", () => openByTarget.set(target, openByTarget.get(target) - 1));
    socket.on("message", (data) => {
      if (this.socket !== socket) return;
      let frame;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        this.tally.count("malformed frames");
        return;
      }
      this.queue.push(frame);
      if (!this.busy) this.drain();
    });
    socket.on("error", (error) => {
      this.tally.count(`socket error: ${error.code ?? error.message.slice(0, 40)}`);
    });
    socket.on("close", (code) => this.closed(socket, code));
  }

  closed(socket, code) {
    if (this.socket !== socket) return;
    this.socket = null;
    if (this.stopped) return;
    this.tally.count(`close ${code}`);
    if (code !== CLOSE_SERVICE_RESTART) {
      this.tally.unexpectedClose({
        at: performance.now(),
        target: this.target,
        code,
        greeted: this.connectionGreeted,
        openForMs: Math.round(performance.now() - this.connectionOpenedAt),
      });
    }
    this.tally.reconnects += 1;
    // Whatever was queued belongs to the old connection; the next one resumes after lastSeq.
    this.queue = [];
    const ceiling = Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** this.attempt);
    // As stream.js: a live stream closed for a restart comes back at once (the
    // server spreads those closes); anything else after a jittered backoff.
    const wait = code === CLOSE_SERVICE_RESTART && this.attempt === 0 ? 0 : Math.random() * ceiling;
    this.attempt += 1;
    // After a failed connect (the socket never greeted), another target.
    this.targetIndex = this.connectionGreeted ? leastConnected(this.targets) : this.targetIndex + 1;
    this.retryTimer = setTimeout(() => this.open(), wait);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.socket?.terminate();
    this.socket = null;
  }

  async drain() {
    this.busy = true;
    try {
      while (this.queue.length && !this.stopped) {
        await this.handle(this.queue.shift());
      }
    } finally {
      this.busy = false;
    }
  }

  async handle(frame) {
    if (frame.type === "hello") {
      this.attempt = 0;
      this.connectionGreeted = true;
      if (this.helloAt === null) {
        this.helloAt = performance.now();
        this.onFirstHello?.(this);
      }
      return;
    }
    if (!Number.isInteger(frame.seq)) return;
    this.markSeen(frame.seq);
    if (frame.type === "reset") {
      await this.fill(frame.seq);
      return;
    }
    if (frame.seq <= this.lastSeq) {
      return;
    }
    if (frame.seq > this.lastSeq + 1) {
      this.tally.gaps += 1;
      await this.fill(frame.seq - 1);
      if (frame.seq <= this.lastSeq) return;
    }
    this.apply(frame, "socket");
  }

  markSeen(seq) {
    if (seq <= this.lastSeq) {
      const again = seq <= this.connectionSince || this.seenOnConnection[seq] === 1;
      if (again) this.tally.duplicated += 1;
      else this.tally.outOfOrder += 1;
    }
    this.seenOnConnection = grownToHold(this.seenOnConnection, seq);
    this.seenOnConnection[seq] = 1;
  }

  apply(event, via) {
    this.lastSeq = event.seq;
    if (event.type === "message.votes") {
      for (const { message_id: id, upvotes } of event.votes) this.upvotes.set(id, upvotes);
      this.tally.votesEvent(event.seq);
      return;
    }
    if (event.type === "message.deleted") {
      const seq = this.shownIdBySeq.indexOf(event.message_id);
      if (seq > 0) this.shownIdBySeq[seq] = 0;
      return;
    }
    if (event.type !== "message.created") return;
    // A replay after the message was deleted carries only {id, seq, deleted}.
    if (event.message && !event.message.deleted) {
      this.shownIdBySeq = grownToHold(this.shownIdBySeq, event.seq);
      this.shownIdBySeq[event.seq] = event.message.id;
    }
    const sentAt = this.tally.sentAt.get(event.message?.client_id);
    if (sentAt === undefined) return;
    const now = performance.now();
    this.firstMessageAt ??= now;
    this.tally.delivered(now - sentAt, via);
  }

  // Page through /events until `through` is applied, as stream.js does.
  async fill(through) {
    while (this.lastSeq < through && !this.stopped) {
      let answer;
      try {
        answer = await request("GET", `${this.target}/api/rooms/${this.room.name}/events?since=${this.lastSeq}`);
      } catch {
        answer = null;
      }
      this.tally.fillRequests += 1;
      if (answer?.status !== 200) {
        this.tally.count(`fill failed: ${answer?.status ?? "network"}`);
        await new Promise((resolve) => setTimeout(resolve, FILL_RETRY_MS));
        continue;
      }
      const before = this.lastSeq;
      for (const event of answer.body.events) {
        if (event.seq === this.lastSeq + 1) this.apply(event, "fill");
      }
      if (!answer.body.has_more && this.lastSeq === before) return;
    }
  }
}
