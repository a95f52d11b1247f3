// Counters and samples shared by every listener and poster of one run.

export class Samples {
  constructor() {
    this.values = new Float64Array(1024);
    this.length = 0;
  }

  add(value) {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length] = value;
    this.length += 1;
  }

  summary() {
    if (this.length === 0) return { count: 0, p50: null, p90: null, p99: null, max: null };
    const sorted = this.values.slice(0, this.length).sort();
    const at = (fraction) => sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
    return {
      count: sorted.length,
      p50: round(at(0.5)),
      p90: round(at(0.9)),
      p99: round(at(0.99)),
      max: round(sorted[sorted.length - 1]),
    };
  }
}

export function round(value, digits = 1) {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

// Per second since `origin`, by when the post was sent: how its answer and
// its deliveries went. Shows what a disturbance (a restart) did, and when.
export class Timeline {
  constructor(origin) {
    this.origin = origin;
    this.seconds = [];
  }

  at(sentAt) {
    const second = Math.max(0, Math.floor((sentAt - this.origin) / 1000));
    while (this.seconds.length <= second) {
      this.seconds.push({ second: this.seconds.length, posts: 0, postAnswerMaxMs: 0, deliveries: 0, deliveriesOver250Ms: 0, deliveryMaxMs: 0 });
    }
    return this.seconds[second];
  }

  postAnswered(sentAt, latencyMs) {
    const bucket = this.at(sentAt);
    bucket.posts += 1;
    bucket.postAnswerMaxMs = Math.max(bucket.postAnswerMaxMs, round(latencyMs));
  }

  delivered(sentAt, latencyMs) {
    const bucket = this.at(sentAt);
    bucket.deliveries += 1;
    if (latencyMs > 250) bucket.deliveriesOver250Ms += 1;
    bucket.deliveryMaxMs = Math.max(bucket.deliveryMaxMs, round(latencyMs));
  }
}

const UNEXPECTED_CLOSES_KEPT = 20;

export class Tally {
  constructor() {
    // client_id → performance.now() of the post's first attempt.
    this.sentAt = new Map();
    this.latency = new Samples();
    this.postLatency = new Samples();
    this.viaSocket = 0;
    this.viaFill = 0;
    this.firstDeliveryAt = null;
    this.lastDeliveryAt = null;
    this.duplicated = 0;
    this.outOfOrder = 0;
    this.gaps = 0;
    this.fillRequests = 0;
    this.reconnects = 0;
    this.postsSent = 0;
    this.postsAcked = 0;
    this.postsFailed = 0;
    this.postRetries = 0;
    this.postsRateLimited = 0;
    this.postsSkipped = 0;
    this.deletesSent = 0;
    this.deletesDone = 0;
    this.deletesFailed = 0;
    this.events = new Map();
    // A Timeline, when the scenario wants one.
    this.timeline = null;
    // The first few sockets closed other than for a restart, and how.
    this.unexpectedCloses = [];
    // seq of each message.votes event → when a listener first applied it.
    this.votesEventSeenAt = new Map();
  }

  delivered(latencyMs, via) {
    const now = performance.now();
    this.latency.add(latencyMs);
    this.timeline?.delivered(now - latencyMs, latencyMs);
    if (via === "socket") this.viaSocket += 1;
    else this.viaFill += 1;
    this.firstDeliveryAt ??= now;
    this.lastDeliveryAt = now;
  }

  // A message.votes event applied by some listener: when each seq was first seen.
  votesEvent(seq) {
    if (!this.votesEventSeenAt.has(seq)) this.votesEventSeenAt.set(seq, performance.now());
  }

  unexpectedClose(details) {
    if (this.unexpectedCloses.length < UNEXPECTED_CLOSES_KEPT) this.unexpectedCloses.push(details);
  }

  // Rare happenings (close codes, errors), by name.
  count(name) {
    this.events.set(name, (this.events.get(name) ?? 0) + 1);
  }
}
