// The teacher of every room, now and then deleting a message someone posted,
// through the HTTP API, so readers have deletions to get right as well as
// posts. A failed delete is retried against the next server, as a post is;
// deleting is idempotent, so repeating one that did happen is harmless.

import { requestAcrossTargets } from "./http.mjs";

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
    const answer = await requestAcrossTargets(
      "DELETE",
      `/api/rooms/${room.name}/messages/${messageId}`,
      { token: room.teacherToken },
      {
        targets: this.targets,
        first: this.targetIndex++,
        deadline: this.deadline,
        done: [204],
        tally: this.tally,
        label: "delete",
      },
    );
    if (answer) this.tally.deletesDone += 1;
    else this.tally.deletesFailed += 1;
  }
}
