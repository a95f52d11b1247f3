// Someone scrolling back: GET /api/rooms/<name>/messages?limit=50 at a fixed
// rate over all the rooms and servers, open-loop (a slow answer doesn't
// delay the next request), each answer timed.

import { request } from "./http.mjs";
import { Samples } from "./tally.mjs";

const HISTORY_LIMIT = 50;
// Requests not yet answered past this are skipped (and counted), so a
// stalled server can't make the client pile up without bound.
const MAX_IN_FLIGHT = 1000;

export class HistoryReader {
  constructor({ rooms, targets }) {
    this.rooms = rooms;
    this.targets = targets;
    this.latency = new Samples();
    this.sent = 0;
    this.failed = 0;
    this.skipped = 0;
    this.failures = {};
    this.inFlight = new Set();
    this.timer = null;
    this.next = 0;
  }

  start(perSecond) {
    const interval = 1000 / perSecond;
    let due = performance.now();
    const tick = () => {
      // A timer may fire late; catch up with what was due meanwhile.
      while (due <= performance.now()) {
        this.read();
        due += interval;
      }
      this.timer = setTimeout(tick, Math.max(0, due - performance.now()));
    };
    tick();
  }

  read() {
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      this.skipped += 1;
      return;
    }
    const index = this.next++;
    const room = this.rooms[index % this.rooms.length];
    const target = this.targets[index % this.targets.length];
    const sentAt = performance.now();
    this.sent += 1;
    const attempt = request("GET", `${target}/api/rooms/${room.name}/messages?limit=${HISTORY_LIMIT}`)
      .then((answer) => {
        if (answer.status === 200) this.latency.add(performance.now() - sentAt);
        else this.fail(`${answer.status} ${answer.body?.error?.code ?? ""}`.trim());
      })
      .catch((error) => this.fail(`network: ${error.code ?? error.message.slice(0, 40)}`));
    this.inFlight.add(attempt);
    attempt.finally(() => this.inFlight.delete(attempt));
  }

  fail(key) {
    this.failed += 1;
    this.failures[key] = (this.failures[key] ?? 0) + 1;
  }

  stop() {
    clearTimeout(this.timer);
  }

  async settled() {
    await Promise.allSettled([...this.inFlight]);
  }

  summary(seconds) {
    return {
      sent: this.sent,
      perSecond: Math.round(this.sent / seconds),
      failed: this.failed,
      skipped: this.skipped,
      failures: this.failures,
      latencyMs: this.latency.summary(),
    };
  }
}
