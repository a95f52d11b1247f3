// Posts at a fixed rate per room through the HTTP API, the way the page does:
// each post gets a fresh client_id and is retried with that same client_id
// after a network error, a 5xx or a 429, so a retry never doubles a message.
// Posts take turns over the servers, and a retry goes to the server after the
// one that failed: with one down (a restart), the retry reaches another.

import { randomUUID } from "node:crypto";

import { requestAcrossTargets } from "./http.mjs";

// Posts are open-loop (they don't wait for the previous answer), like real
// students; past this many unanswered, the bench stops adding more rather
// than growing without bound, and counts what it skipped.
const MAX_POSTS_IN_FLIGHT = 500;
// Makes a message about as long as a typical classroom question.
const FILLER = "Is this going to be on the test, or only the parts we covered in class?";

export class Poster {
  constructor({ rooms, targets, tally, deadline }) {
    this.rooms = rooms;
    this.targets = targets;
    this.tally = tally;
    this.deadline = deadline;
    this.inFlight = new Set();
    this.timers = [];
    this.targetIndex = 0;
  }

  // Post `perSecond` messages a second in every room. Steady rooms start at a
  // random point of the first interval so they don't post in lockstep; with
  // `now`, every room posts at once. A room stops when `keepPosting(room)`
  // turns false.
  start(perSecond, { now = false, keepPosting = () => true } = {}) {
    const interval = 1000 / perSecond;
    for (const room of this.rooms) {
      let next = performance.now() + (now ? 0 : Math.random() * interval);
      const tick = () => {
        if (!keepPosting(room)) return;
        this.post(room);
        next += interval;
        this.timers[room.index] = setTimeout(tick, Math.max(0, next - performance.now()));
      };
      this.timers[room.index] = setTimeout(tick, Math.max(0, next - performance.now()));
    }
  }

  stop() {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
  }

  async settled() {
    await Promise.allSettled([...this.inFlight]);
  }

  post(room) {
    if (this.inFlight.size >= MAX_POSTS_IN_FLIGHT) {
      this.tally.postsSkipped += 1;
      return;
    }
    const clientId = randomUUID();
    const token = room.tokens[room.postCount % room.tokens.length];
    room.postCount += 1;
    const sentAt = performance.now();
    this.tally.sentAt.set(clientId, sentAt);
    this.tally.postsSent += 1;
    const attempt = this.deliver(room, token, clientId, sentAt);
    this.inFlight.add(attempt);
    attempt.finally(() => this.inFlight.delete(attempt));
  }

  async deliver(room, token, clientId, sentAt) {
    const body = { text: `${FILLER} #${room.postCount}`, client_id: clientId };
    const answer = await requestAcrossTargets(
      "POST",
      `/api/rooms/${room.name}/messages`,
      { body, token },
      {
        targets: this.targets,
        first: this.targetIndex++,
        deadline: this.deadline,
        done: [200, 201],
        tally: this.tally,
        label: "post",
        retryRateLimited: true,
        onRetry: (failed) => {
          if (failed?.status === 429) this.tally.postsRateLimited += 1;
          this.tally.postRetries += 1;
        },
      },
    );
    if (!answer) {
      this.tally.postsFailed += 1;
      return;
    }
    this.tally.postsAcked += 1;
    this.tally.postLatency.add(performance.now() - sentAt);
    this.tally.timeline?.postAnswered(sentAt, performance.now() - sentAt);
    room.ackedSeqs.push(answer.body.message.seq);
    room.ackedIds.push(answer.body.message.id);
  }
}
