// The teacher of every room, now and then deleting a message someone posted,
// through the HTTP API, so readers have deletions to get right as well as
// posts. A failed delete is retried against the next server, as a post is;
// deleting is idempotent, so repeating one that did happen is harmless.

import { request } from "./http.mjs";

const RETRY_BASE_MS = 200;
const RETRY_CAP_MS = 4000;
// Random picks before a room's tick gives up finding a message not yet deleted.
const PICKS_PER_TICK = 5;

export class Moderator {
  constructor({ rooms, targets, tally, deadline }) {
    this.rooms = rooms;
    this.targets = targets;
    this.tally = tally;
    this.deadline = deadline;
    this.deletedIds = new Set();
    this.inFlight = new Set();
    this.timers = [];
    this.targetIndex = 0;
  }

  // Delete `perMinute` messages a minute in every room, rooms out of step.
  start(perMinute) {
    const interval = 60000 / perMinute;
    for (const room of this.rooms) {
      const tick = () => {
        this.deleteOne(room);
        this.timers[room.index] = setTimeout(tick, interval);
      };
      this.timers[room.index] = setTimeout(tick, interval * (0.5 + Math.random()));
    }
  }

  stop() {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
  }

  async settled() {
    await Promise.allSettled([...this.inFlight]);
  }

  deleteOne(room) {
    let messageId;
    for (let pick = 0; pick < PICKS_PER_TICK && room.ackedIds.length; pick += 1) {
      const candidate = room.ackedIds[Math.floor(Math.random() * room.ackedIds.length)];
      if (!this.deletedIds.has(candidate)) {
        messageId = candidate;
        break;
      }
    }
    if (messageId === undefined) return;
    this.deletedIds.add(messageId);
    this.tally.deletesSent += 1;
    const attempt = this.deliver(room, messageId);
    this.inFlight.add(attempt);
    attempt.finally(() => this.inFlight.delete(attempt));
  }

  async deliver(room, messageId) {
    const firstTarget = this.targetIndex++;
    for (let attempt = 0; performance.now() < this.deadline; attempt += 1) {
      const target = this.targets[(firstTarget + attempt) % this.targets.length];
      let answer = null;
      try {
        answer = await request("DELETE", `${target}/api/rooms/${room.name}/messages/${messageId}`, {
          token: room.teacherToken,
        });
      } catch (error) {
        this.tally.count(`delete network error: ${error.code ?? error.message.slice(0, 40)}`);
      }
      if (answer?.status === 204) {
        this.tally.deletesDone += 1;
        return;
      }
      if (answer && answer.status < 500) {
        this.tally.count(`delete refused: ${answer.status} ${answer.body?.error?.code}`);
        break;
      }
      if (answer) this.tally.count(`delete ${answer.status}`);
      const waitMs = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
    this.tally.deletesFailed += 1;
  }
}
