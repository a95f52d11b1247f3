// Issue 12's post scenarios: how many posts a second the servers sustain
// (post-throughput), and what happens when they are offered twice that
// (overload).
//
// Both use 50 rooms × 10 listeners; the posts go through the HTTP API from
// many participants per room, each within its own rate limit, so what is
// measured is the server's capacity and not the per-participant limit.

import { randomBytes, randomUUID } from "node:crypto";

import { readDatabase } from "./convergence.mjs";
import { request, requestOk, teacherToken } from "./http.mjs";
import { Listener } from "./listener.mjs";
import { Poster } from "./poster.mjs";
import { Samples, round } from "./tally.mjs";
import { totals } from "./server_processes.mjs";
import { inBatches, openInWindow, sleep, waitFor } from "./waiting.mjs";

const ROOMS = 50;
const LISTENERS_PER_ROOM = 10;
// The offered rates of post-throughput, posts/s over all rooms, in order. The
// run stops at the first step that breaks a bound.
export const THROUGHPUT_STEPS = [50, 75, 100, 150, 200, 300, 400, 500, 600, 800, 1000];
// A step passes with all of these (the bounds for "sustained").
export const POST_ANSWER_P99_LIMIT_MS = 50;
export const DELIVERY_P99_LIMIT_MS = 100;
// Of the offered posts, at least this share must have been answered during
// the step: a server that falls behind is not sustaining the rate.
const ANSWERED_SHARE = 0.98;
// Posters per room. bench/suite.py lifts the participants' rate limit for
// the bench (it still runs on every post); several tokens keep the token
// lookups varied as in a real room.
const TOKENS_PER_ROOM = 4;
const SETUP_CONCURRENCY = 8;
const JOINS_AT_ONCE_PER_ROOM = 4;
const CONNECT_WINDOW = 100;
const CONNECT_TIMEOUT_MS = 60000;
// After a step's last post: how long its deliveries get before what a
// listener lacks counts as lost.
const STEP_SETTLE_MS = 5000;
const SETTLE_TIMEOUT_MS = 15000;
const IDLE_BEFORE_MEASURING_MS = 2000;
// Overload: after the load drops, posts at this share of the sustainable
// rate probe how soon answers are normal again.
const PROBE_SHARE = 0.25;
const PROBE_SECONDS_MIN = 10;
// A refusal is "at once" within this.
export const REFUSAL_FAST_MS = 50;
export const OVERLOAD_ACCEPTED_P99_LIMIT_MS = 250;
// Open-loop posts without retries may pile up when the server stalls;
// beyond this many unanswered, the client skips (and counts) instead.
const OVERLOAD_MAX_IN_FLIGHT = 4000;
const FILLER = "Is this going to be on the test, or only the parts we covered in class?";

export const THROUGHPUT_SCENARIOS = {
  "post-throughput": {
    summary: `${ROOMS} rooms × ${LISTENERS_PER_ROOM} listeners; posts through the API at ${THROUGHPUT_STEPS.join(", ")} posts/s in turn, until a step breaks post answer p99 ≤ ${POST_ANSWER_P99_LIMIT_MS} ms, delivery p99 ≤ ${DELIVERY_P99_LIMIT_MS} ms or 0 lost`,
    throughput: true,
  },
  overload: {
    summary: `${ROOMS} rooms × ${LISTENERS_PER_ROOM} listeners; posts offered at 2× the sustainable rate for the duration, each sent once (no retry), then at ${PROBE_SHARE * 100}% of it until answers are normal again`,
    overload: true,
  },
};

async function setUp(targets, runId) {
  const owner = await teacherToken(targets[0]);
  const tokensPerRoom = TOKENS_PER_ROOM;
  const rooms = await inBatches([...Array(ROOMS).keys()], SETUP_CONCURRENCY, async (index) => {
    const name = `bench-${runId}-${index}`;
    await requestOk("POST", `${targets[0]}/api/rooms`, { token: owner, body: { name, topic: "load test" } });
    const tokens = await inBatches([...Array(tokensPerRoom).keys()], JOINS_AT_ONCE_PER_ROOM, async (poster) => {
      const joined = await requestOk("POST", `${targets[poster % targets.length]}/api/rooms/${name}/join`, {
        body: { nickname: `poster ${poster}` },
      });
      return joined.token;
    });
    return { index, name, tokens, teacherToken: owner, postCount: 0, ackedSeqs: [], ackedIds: [] };
  });
  const listeners = [];
  for (const room of rooms) {
    for (let index = 0; index < LISTENERS_PER_ROOM; index += 1) {
      listeners.push(new Listener({ room, targets, firstTarget: listeners.length, tally: null }));
    }
  }
  return { rooms, listeners };
}

// How the posts sent within [start, end) went: answers and deliveries, by
// when each post was sent (the tally's timeline hook).
class Window {
  constructor(start, end) {
    this.start = start;
    this.end = end;
    this.postLatency = new Samples();
    this.latency = new Samples();
  }

  holds(sentAt) {
    return sentAt >= this.start && sentAt < this.end;
  }

  postAnswered(sentAt, latencyMs) {
    if (this.holds(sentAt)) this.postLatency.add(latencyMs);
  }

  delivered(sentAt, latencyMs) {
    if (this.holds(sentAt)) this.latency.add(latencyMs);
  }
}

function lostSince(listeners, ackedBefore) {
  let lost = 0;
  for (const listener of listeners) {
    const acked = listener.room.ackedSeqs;
    for (let index = ackedBefore.get(listener.room) ?? 0; index < acked.length; index += 1) {
      if (acked[index] > listener.lastSeq) lost += 1;
    }
  }
  return lost;
}

const caughtUp = (listener) => {
  const acked = listener.room.ackedSeqs;
  return acked.length === 0 || listener.lastSeq >= Math.max(...acked);
};

async function connect(listeners, tally, report, pids) {
  for (const listener of listeners) listener.tally = tally;
  await sleep(IDLE_BEFORE_MEASURING_MS);
  const before = totals(pids);
  const started = performance.now();
  await openInWindow(listeners, { window: CONNECT_WINDOW, timeoutMs: CONNECT_TIMEOUT_MS });
  report.sockets = listeners.length;
  report.connect = {
    connected: listeners.filter((listener) => listener.helloAt !== null).length,
    seconds: round((performance.now() - started) / 1000, 2),
  };
  await sleep(IDLE_BEFORE_MEASURING_MS);
  const idle = totals(pids);
  report.memory = { perSocketKb: round((idle.rssKb - before.rssKb) / listeners.length, 1) };
  return idle;
}

function stepSeconds(durationSeconds) {
  // The whole ladder takes about 3× the duration at most; each step at least 5 s.
  return Math.max(5, Math.round(durationSeconds / 3));
}

export async function runThroughput(name, { targets, pids, durationSeconds, tally }) {
  const scenario = THROUGHPUT_SCENARIOS[name];
  const runId = Date.now().toString(36) + randomBytes(2).toString("hex");
  const report = { scenario: name, summary: scenario.summary, targets, durationSeconds };
  const { rooms, listeners } = await setUp(targets, runId);
  const idle = await connect(listeners, tally, report, pids);
  const seconds = stepSeconds(durationSeconds);
  report.stepSeconds = seconds;
  report.steps = [];
  report.sustainedPerSecond = null;
  for (const offered of THROUGHPUT_STEPS) {
    const ackedBefore = new Map(rooms.map((room) => [room, room.ackedSeqs.length]));
    const counters = { sent: tally.postsSent, failed: tally.postsFailed, retries: tally.postRetries, skipped: tally.postsSkipped };
    const cpuBefore = totals(pids);
    const start = performance.now();
    const window = new Window(start, start + seconds * 1000);
    tally.timeline = window;
    const poster = new Poster({ rooms, targets, tally, deadline: start + seconds * 1000 + SETTLE_TIMEOUT_MS });
    poster.start(offered / ROOMS);
    await sleep(seconds * 1000);
    poster.stop();
    const answeredInTime = window.postLatency.length;
    await poster.settled();
    const cpuAfter = totals(pids);
    await waitFor(() => listeners.every(caughtUp), STEP_SETTLE_MS, 50);
    const sent = tally.postsSent - counters.sent;
    const step = {
      offeredPerSecond: offered,
      sent,
      answeredPerSecond: round(answeredInTime / seconds, 1),
      failed: tally.postsFailed - counters.failed,
      retries: tally.postRetries - counters.retries,
      skipped: tally.postsSkipped - counters.skipped,
      postLatencyMs: window.postLatency.summary(),
      latencyMs: window.latency.summary(),
      lost: lostSince(listeners, ackedBefore),
      serverCores: round((cpuAfter.cpuSeconds - cpuBefore.cpuSeconds) / seconds, 2),
      machineCores: round((cpuAfter.machineSeconds - cpuBefore.machineSeconds) / seconds, 2),
    };
    step.passed =
      step.postLatencyMs.p99 !== null &&
      step.postLatencyMs.p99 <= POST_ANSWER_P99_LIMIT_MS &&
      step.latencyMs.p99 !== null &&
      step.latencyMs.p99 <= DELIVERY_P99_LIMIT_MS &&
      step.lost === 0 &&
      step.failed === 0 &&
      step.retries === 0 &&
      step.skipped === 0 &&
      answeredInTime >= ANSWERED_SHARE * sent;
    report.steps.push(step);
    console.error(
      `  ${offered} posts/s: answers p99 ${step.postLatencyMs.p99} ms, deliveries p99 ${step.latencyMs.p99} ms, ` +
        `${step.lost} lost, ${step.failed} failed, ${step.retries} retried, server ${step.serverCores} cores: ${step.passed ? "held" : "broke"}`,
    );
    if (!step.passed) break;
    report.sustainedPerSecond = offered;
  }
  tally.timeline = null;
  const after = totals(pids);
  for (const listener of listeners) listener.stop();
  const held = report.steps.filter((step) => step.passed).at(-1);
  report.atSustained = held ?? null;
  report.brokeAt = report.steps.find((step) => !step.passed) ?? null;
  report.posts = { sent: tally.postsSent, acked: tally.postsAcked, failed: tally.postsFailed, latencyMs: tally.postLatency.summary() };
  report.latencyMs = tally.latency.summary();
  report.lost = report.steps.reduce((sum, step) => sum + step.lost, 0);
  report.duplicated = tally.duplicated;
  report.reconnects = tally.reconnects;
  report.events = Object.fromEntries(tally.events);
  report.memory.afterKb = after.rssKb;
  return report;
}

// One post, sent once: the overload wants to see each answer as it was.
async function postOnce(room, target, tally) {
  const token = room.tokens[room.postCount % room.tokens.length];
  room.postCount += 1;
  const clientId = randomUUID();
  const body = { text: `${FILLER} #${room.postCount}`, client_id: clientId };
  const sentAt = performance.now();
  // Deliveries are timed from here; a frame may come before the answer.
  tally.sentAt.set(clientId, sentAt);
  let answer = null;
  let error = null;
  try {
    answer = await request("POST", `${target}/api/rooms/${room.name}/messages`, { body, token });
  } catch (failure) {
    error = failure;
  }
  return { answer, error, clientId, sentAt, answeredAt: performance.now() };
}

class OncePoster {
  constructor({ rooms, targets, tally, onAnswer }) {
    this.rooms = rooms;
    this.targets = targets;
    this.tally = tally;
    this.onAnswer = onAnswer;
    this.inFlight = new Set();
    this.timers = [];
    this.next = 0;
    this.skipped = 0;
  }

  start(perSecondPerRoom) {
    const interval = 1000 / perSecondPerRoom;
    for (const room of this.rooms) {
      let next = performance.now() + Math.random() * interval;
      const tick = () => {
        this.send(room);
        next += interval;
        this.timers[room.index] = setTimeout(tick, Math.max(0, next - performance.now()));
      };
      this.timers[room.index] = setTimeout(tick, Math.max(0, next - performance.now()));
    }
  }

  send(room) {
    if (this.inFlight.size >= OVERLOAD_MAX_IN_FLIGHT) {
      this.skipped += 1;
      return;
    }
    const target = this.targets[this.next++ % this.targets.length];
    const attempt = postOnce(room, target, this.tally).then((result) => this.onAnswer(room, result));
    this.inFlight.add(attempt);
    attempt.finally(() => this.inFlight.delete(attempt));
  }

  stop() {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
  }

  async settled() {
    await Promise.allSettled([...this.inFlight]);
  }
}

class Outcomes {
  constructor() {
    this.sent = 0;
    this.accepted = 0;
    this.acceptedMs = new Samples();
    this.refused = 0;
    this.refusedMs = new Samples();
    this.refusedWithRetryAfter = 0;
    this.refusedByStatus = {};
    this.retryAfterSeconds = new Samples();
    this.failed = 0;
    this.failures = {};
  }

  add({ answer, error, sentAt, answeredAt }) {
    const took = answeredAt - sentAt;
    this.sent += 1;
    if (answer && (answer.status === 200 || answer.status === 201)) {
      this.accepted += 1;
      this.acceptedMs.add(took);
    } else if (answer && (answer.status === 503 || answer.status === 429)) {
      this.refused += 1;
      this.refusedMs.add(took);
      const key = `${answer.status} ${answer.body?.error?.code ?? ""}`.trim();
      this.refusedByStatus[key] = (this.refusedByStatus[key] ?? 0) + 1;
      const retryAfter = Number(answer.headers["retry-after"]);
      if (answer.headers["retry-after"] !== undefined && Number.isFinite(retryAfter)) {
        this.refusedWithRetryAfter += 1;
        this.retryAfterSeconds.add(retryAfter);
      }
    } else {
      this.failed += 1;
      const key = answer ? `${answer.status} ${answer.body?.error?.code ?? ""}`.trim() : `network: ${error?.code ?? error?.message?.slice(0, 40)}`;
      this.failures[key] = (this.failures[key] ?? 0) + 1;
    }
  }

  summary() {
    const refusedMs = this.refusedMs.summary();
    return {
      sent: this.sent,
      accepted: this.accepted,
      acceptedMs: this.acceptedMs.summary(),
      refused: this.refused,
      refusedByStatus: this.refusedByStatus,
      refusedWithRetryAfter: this.refusedWithRetryAfter,
      retryAfterSeconds: this.retryAfterSeconds.summary(),
      refusedMs,
      failed: this.failed,
      failures: this.failures,
    };
  }
}

// Per second of the probe after the load dropped: were answers normal?
function recoverySeconds(probeAnswers, dropAt) {
  const seconds = [];
  for (const { sentAt, answeredAt, normal } of probeAnswers) {
    const second = Math.floor((sentAt - dropAt) / 1000);
    seconds[second] ??= { samples: new Samples(), abnormal: 0 };
    seconds[second].samples.add(answeredAt - sentAt);
    if (!normal) seconds[second].abnormal += 1;
  }
  const ok = (bucket) => bucket !== undefined && bucket.abnormal === 0 && bucket.samples.summary().p99 <= POST_ANSWER_P99_LIMIT_MS;
  // The first second from which every second of the probe was normal.
  let from = null;
  for (let second = seconds.length - 1; second >= 0 && ok(seconds[second]); second -= 1) from = second;
  const perSecond = [...seconds].map((bucket, second) => ({
    second,
    posts: bucket?.samples.length ?? 0,
    p99Ms: bucket?.samples.summary().p99 ?? null,
    abnormal: bucket?.abnormal ?? 0,
  }));
  return { seconds: from, perSecond };
}

export async function runOverload(name, { targets, pids, durationSeconds, tally, sustainedPerSecond }) {
  const scenario = THROUGHPUT_SCENARIOS[name];
  const runId = Date.now().toString(36) + randomBytes(2).toString("hex");
  const offered = 2 * sustainedPerSecond;
  const report = {
    scenario: name,
    summary: scenario.summary,
    targets,
    durationSeconds,
    sustainedPerSecond,
    offeredPerSecond: offered,
  };
  const { rooms, listeners } = await setUp(targets, runId);
  const idle = await connect(listeners, tally, report, pids);

  const overload = new Outcomes();
  const record = (outcomes) => (room, result) => {
    outcomes.add(result);
    const status = result.answer?.status;
    if (status === 200 || status === 201) {
      room.ackedSeqs.push(result.answer.body.message.seq);
      room.ackedIds.push(result.answer.body.message.id);
    }
  };
  const poster = new OncePoster({ rooms, targets, tally, onAnswer: record(overload) });
  const start = performance.now();
  poster.start(offered / ROOMS);
  await sleep(durationSeconds * 1000);
  poster.stop();
  const dropAt = performance.now();
  const cpuDuring = totals(pids);

  // The load drops: a light probe until answers are normal again.
  const probe = new Outcomes();
  const probeAnswers = [];
  const probeRecord = record(probe);
  const prober = new OncePoster({
    rooms,
    targets,
    tally,
    onAnswer: (room, result) => {
      probeRecord(room, result);
      const status = result.answer?.status;
      probeAnswers.push({ sentAt: result.sentAt, answeredAt: result.answeredAt, normal: status === 200 || status === 201 });
    },
  });
  // At least a post a second over all the rooms, so each second has an answer to judge.
  prober.start(Math.max(1, PROBE_SHARE * sustainedPerSecond) / ROOMS);
  await sleep(Math.max(PROBE_SECONDS_MIN, durationSeconds / 2) * 1000);
  prober.stop();
  await Promise.all([poster.settled(), prober.settled()]);
  const settledAt = performance.now();
  await waitFor(() => listeners.every(caughtUp), SETTLE_TIMEOUT_MS, 50);

  let database;
  try {
    database = (await readDatabase(rooms, targets)).database;
  } catch (error) {
    database = { error: error.message };
  }
  for (const listener of listeners) listener.stop();
  let lost = 0;
  for (const listener of listeners) for (const seq of listener.room.ackedSeqs) if (seq > listener.lastSeq) lost += 1;

  report.overload = { ...overload.summary(), skipped: poster.skipped, answeredWithinSeconds: round((settledAt - start) / 1000, 1) };
  report.overload.acceptedPerSecond = round(overload.accepted / durationSeconds, 1);
  report.overload.refusedFastShare =
    overload.refused === 0 ? null : round(overload.refusedMs.values.slice(0, overload.refusedMs.length).filter((ms) => ms <= REFUSAL_FAST_MS).length / overload.refused, 3);
  report.overload.serverCores = round((cpuDuring.cpuSeconds - idle.cpuSeconds) / ((dropAt - start) / 1000), 2);
  report.recovery = { ...recoverySeconds(probeAnswers, dropAt), probe: probe.summary() };
  report.database = database;
  report.lost = lost;
  report.latencyMs = tally.latency.summary();
  report.duplicated = tally.duplicated;
  report.reconnects = tally.reconnects;
  report.events = Object.fromEntries(tally.events);
  return report;
}
