// The scenarios of issues 4 and 12 and how one run of them goes.

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

import { compareReaders, readDatabase } from "./convergence.mjs";
import { HistoryReader } from "./history_reader.mjs";
import { requestOk, teacherToken } from "./http.mjs";
import { Listener } from "./listener.mjs";
import { Moderator } from "./moderator.mjs";
import { Poster } from "./poster.mjs";
import { RollingRestart } from "./rolling_restart.mjs";
import { THROUGHPUT_SCENARIOS, runOverload, runThroughput } from "./throughput.mjs";
import { runVoteStorm } from "./vote_storm.mjs";
import { inBatches, openInWindow, sleep, waitFor } from "./waiting.mjs";
import { Samples, Timeline, round } from "./tally.mjs";
import { pidsListeningOn, totals } from "./server_processes.mjs";

export const SCENARIOS = {
  classrooms: {
    summary: "50 rooms × 30 sockets, 1 post/s per room",
    rooms: 50,
    socketsPerRoom: 30,
    postsPerSecondPerRoom: 1,
  },
  "big-room": {
    summary: "1 room × 1,000 sockets, 10 posts/s",
    rooms: 1,
    socketsPerRoom: 1000,
    postsPerSecondPerRoom: 10,
  },
  "connect-storm": {
    summary: "2,000 sockets (50 rooms × 40) opened at once; each room posts as they open, and every second until all its sockets have a message",
    rooms: 50,
    socketsPerRoom: 40,
    postsPerSecondPerRoom: 1,
    storm: true,
  },
  "rolling-restart": {
    summary:
      "classrooms (50 rooms × 30 sockets, 1 post/s per room) plus a teacher deleting a message per room every 10 s; a third into the posting, every server process restarts, one at a time, with deploy/rolling-restart",
    rooms: 50,
    socketsPerRoom: 30,
    postsPerSecondPerRoom: 1,
    // Deletions make "what a reader shows" differ from "what it received".
    deletesPerMinutePerRoom: 6,
    rollingRestart: true,
  },
  // Issue 12.
  "sockets-10k": {
    summary: "200 rooms × 50 sockets (10,000), 1 post/s per room",
    rooms: 200,
    socketsPerRoom: 50,
    postsPerSecondPerRoom: 1,
    // "All connected within 10 s": open them as fast as the client can.
    connectWindow: 2000,
  },
  "big-room-5k": {
    summary: "1 room × 5,000 sockets, 2 posts/s",
    rooms: 1,
    socketsPerRoom: 5000,
    postsPerSecondPerRoom: 2,
    connectWindow: 1000,
  },
  "history-reads": {
    summary:
      "classrooms (50 rooms × 30 sockets, 1 post/s per room) plus GET /api/rooms/<name>/messages?limit=50 at 200 requests/s over the rooms",
    rooms: 50,
    socketsPerRoom: 30,
    postsPerSecondPerRoom: 1,
    historyReadsPerSecond: 200,
  },
  ...THROUGHPUT_SCENARIOS,
  "vote-storm": {
    summary:
      "1 room × 1,000 sockets, each its own participant; every participant upvotes one of 5 questions within the same 2 s",
    sockets: 1000,
    windowSeconds: 2,
    voteStorm: true,
  },
};

// Into the posting, when the rolling restart begins: traffic flows before
// it, and (posting goes on until it has finished) after it.
const RESTART_AFTER_FRACTION_OF_DURATION = 1 / 3;

// Sockets opening at once in the steady scenarios; the storm opens them all.
const CONNECT_WINDOW = 100;
const CONNECT_TIMEOUT_MS = 60000;
const STORM_TIMEOUT_MS = 30000;
// After the last post: how long listeners get to catch up before what they
// lack is counted as lost.
const SETTLE_TIMEOUT_MS = 15000;
const IDLE_BEFORE_MEASURING_MS = 2000;
const SETUP_CONCURRENCY = 8;
// Each poster token stays at half the default allowance (60 posts a minute),
// so the default rate limit never refuses a bench post.
const POSTS_PER_MINUTE_PER_TOKEN = 30;


async function createRooms(scenario, target, runId) {
  const owner = await teacherToken(target);
  const tokensPerRoom = Math.max(2, Math.ceil((scenario.postsPerSecondPerRoom * 60) / POSTS_PER_MINUTE_PER_TOKEN));
  const indexes = [...Array(scenario.rooms).keys()];
  return inBatches(indexes, SETUP_CONCURRENCY, async (index) => {
    const name = `bench-${runId}-${index}`;
    await requestOk("POST", `${target}/api/rooms`, { token: owner, body: { name, topic: "load test" } });
    const tokens = [];
    for (let poster = 0; poster < tokensPerRoom; poster += 1) {
      const joined = await requestOk("POST", `${target}/api/rooms/${name}/join`, {
        body: { nickname: `poster ${poster}` },
      });
      tokens.push(joined.token);
    }
    return { index, name, tokens, teacherToken: owner, postCount: 0, ackedSeqs: [], ackedIds: [] };
  });
}

function openAll(listeners) {
  for (const listener of listeners) listener.open();
}

function spanSeconds(listeners, field, from) {
  const times = listeners.map((listener) => listener[field]).filter((time) => time !== null);
  if (times.length < listeners.length) return null;
  return round((Math.max(...times) - from) / 1000, 2);
}

function caughtUp(listener) {
  const acked = listener.room.ackedSeqs;
  return acked.length === 0 || listener.lastSeq >= Math.max(...acked);
}

async function checkConvergence(rooms, listeners, targets) {
  let stored;
  try {
    stored = await readDatabase(rooms, targets);
  } catch (error) {
    return { converged: null, diverged: null, error: error.message };
  }
  // Events after the last acknowledged post (a deletion, say) may still be on their way.
  const atHead = (listener) => listener.lastSeq >= stored.states.get(listener.room).head;
  await waitFor(() => listeners.every(atHead), SETTLE_TIMEOUT_MS, 50);
  return { ...compareReaders(listeners, stored.states), database: stored.database };
}

// The processes serving the targets now; null if a port has nobody listening.
function pidsServing(targets) {
  try {
    return pidsListeningOn(targets.map((target) => Number(new URL(target).port)));
  } catch {
    return null;
  }
}

export async function runScenario(name, { targets, pids, durationSeconds, tally, sustainedPerSecond }) {
  const scenario = SCENARIOS[name];
  if (scenario.voteStorm) return runVoteStorm(scenario, { targets, pids, tally });
  if (scenario.throughput) return runThroughput(name, { targets, pids, durationSeconds, tally });
  if (scenario.overload) return runOverload(name, { targets, pids, durationSeconds, tally, sustainedPerSecond });
  const runId = Date.now().toString(36) + randomBytes(2).toString("hex");
  const report = { scenario: name, summary: scenario.summary, targets, durationSeconds };

  const rooms = await createRooms(scenario, targets[0], runId);
  const listeners = [];
  for (const room of rooms) {
    for (let index = 0; index < scenario.socketsPerRoom; index += 1) {
      listeners.push(new Listener({ room, targets, firstTarget: listeners.length, tally }));
    }
  }
  report.sockets = listeners.length;
  await sleep(IDLE_BEFORE_MEASURING_MS);
  const before = totals(pids);
  const clientCpuBefore = process.cpuUsage();

  const postDeadline = () => performance.now() + durationSeconds * 1000 + SETTLE_TIMEOUT_MS;
  const poster = new Poster({ rooms, targets, tally, deadline: Infinity });
  const moderator = scenario.deletesPerMinutePerRoom ? new Moderator({ rooms, targets, tally, deadline: Infinity }) : null;
  let restart = null;
  const connectStart = performance.now();
  let postStart = null;
  let postCpuBefore = null;
  if (scenario.storm) {
    poster.deadline = postDeadline();
    postStart = connectStart;
    postCpuBefore = before;
    // The probe, not a load: a room keeps posting only until each of its
    // sockets has received a message posted after the storm began.
    const roomWaiting = (room) => listeners.some((listener) => listener.room === room && listener.firstMessageAt === null);
    poster.start(scenario.postsPerSecondPerRoom, { now: true, keepPosting: roomWaiting });
    openAll(listeners);
    await waitFor(() => listeners.every((listener) => listener.firstMessageAt !== null), STORM_TIMEOUT_MS);
    report.storm = {
      allConnectedSeconds: spanSeconds(listeners, "helloAt", connectStart),
      allReceivingSeconds: spanSeconds(listeners, "firstMessageAt", connectStart),
      receiving: listeners.filter((listener) => listener.firstMessageAt !== null).length,
    };
  } else {
    await openInWindow(listeners, { window: scenario.connectWindow ?? CONNECT_WINDOW, timeoutMs: CONNECT_TIMEOUT_MS });
  }
  const connected = listeners.filter((listener) => listener.helloAt !== null).length;
  const connectSeconds = spanSeconds(listeners, "helloAt", connectStart);
  const helloMs = new Samples();
  for (const listener of listeners) if (listener.helloAt !== null) helloMs.add(listener.helloAt - connectStart);
  report.connect = {
    connected,
    seconds: connectSeconds,
    perSecond: connectSeconds ? Math.round(connected / connectSeconds) : null,
    // When each socket had its hello, from the first connect.
    helloMs: helloMs.summary(),
  };

  if (scenario.storm) {
    poster.stop();
    await poster.settled();
  }
  await sleep(IDLE_BEFORE_MEASURING_MS);
  const idle = totals(pids);
  report.memory = {
    beforeKb: before.rssKb,
    withSocketsKb: idle.rssKb,
    perSocketKb: round((idle.rssKb - before.rssKb) / listeners.length, 1),
  };

  let postingStoppedAt = null;
  if (!scenario.storm) {
    // Across a restart, requests keep being retried until it is over (the
    // script gives up on a process that does not come back).
    poster.deadline = scenario.rollingRestart ? Infinity : postDeadline();
    postStart = performance.now();
    postCpuBefore = idle;
    if (scenario.rollingRestart) tally.timeline = new Timeline(postStart);
    poster.start(scenario.postsPerSecondPerRoom);
    if (moderator) {
      moderator.deadline = poster.deadline;
      moderator.start(scenario.deletesPerMinutePerRoom);
    }
    const reader = scenario.historyReadsPerSecond ? new HistoryReader({ rooms, targets }) : null;
    reader?.start(scenario.historyReadsPerSecond);
    let restarted = null;
    if (scenario.rollingRestart) {
      restart = new RollingRestart({ targets, origin: postStart });
      restarted = sleep(durationSeconds * 1000 * RESTART_AFTER_FRACTION_OF_DURATION).then(() => restart.run());
    }
    await sleep(durationSeconds * 1000);
    if (restarted) {
      // Posting lasts until the restart is over, so all of it happens under load.
      await restarted;
      poster.deadline = performance.now() + SETTLE_TIMEOUT_MS;
      if (moderator) moderator.deadline = poster.deadline;
    }
    postingStoppedAt = performance.now();
    poster.stop();
    moderator?.stop();
    reader?.stop();
    await Promise.all([poster.settled(), moderator?.settled(), reader?.settled()]);
    if (reader) report.history = reader.summary((postingStoppedAt - postStart) / 1000);
  }
  const postEnd = performance.now();
  await waitFor(() => listeners.every(caughtUp), SETTLE_TIMEOUT_MS, 50);
  if (scenario.rollingRestart) report.convergence = await checkConvergence(rooms, listeners, targets);
  // A restart replaced the processes: what they use now is the new ones'.
  const pidsAfter = restart ? pidsServing(targets) : pids;
  const after = totals(pidsAfter ?? []);
  const clientCpu = process.cpuUsage(clientCpuBefore);
  for (const listener of listeners) listener.stop();

  let lost = 0;
  let expected = 0;
  for (const listener of listeners) {
    for (const seq of listener.room.ackedSeqs) {
      expected += 1;
      if (seq > listener.lastSeq) lost += 1;
    }
  }
  const deliveryWindow = (tally.lastDeliveryAt ?? postEnd) - postStart;
  report.posts = {
    sent: tally.postsSent,
    acked: tally.postsAcked,
    failed: tally.postsFailed,
    retries: tally.postRetries,
    rateLimited: tally.postsRateLimited,
    skipped: tally.postsSkipped,
    latencyMs: tally.postLatency.summary(),
  };
  report.deliveries = {
    expected,
    viaSocket: tally.viaSocket,
    viaFill: tally.viaFill,
    perSecond: deliveryWindow > 0 ? Math.round(tally.viaSocket / (deliveryWindow / 1000)) : null,
    offeredPerSecond: scenario.storm ? null : scenario.rooms * scenario.socketsPerRoom * scenario.postsPerSecondPerRoom,
  };
  report.latencyMs = tally.latency.summary();
  report.lost = lost;
  report.duplicated = tally.duplicated;
  report.outOfOrder = tally.outOfOrder;
  report.gaps = tally.gaps;
  report.fillRequests = tally.fillRequests;
  report.reconnects = tally.reconnects;
  report.events = Object.fromEntries(tally.events);
  if (moderator) report.deletes = { sent: tally.deletesSent, done: tally.deletesDone, failed: tally.deletesFailed };
  if (restart) {
    report.restart = {
      ...restart.summary(),
      postingStoppedAtSeconds: round((postingStoppedAt - postStart) / 1000, 2),
      pidsAfter,
      timeline: tally.timeline.seconds,
      unexpectedCloses: tally.unexpectedCloses.map(({ at, ...close }) => ({ atSeconds: round((at - postStart) / 1000, 2), ...close })),
    };
  }
  const elapsed = (performance.now() - postStart) / 1000;
  report.cpu = {
    // Unknown across a restart: the CPU time of the processes it replaced left with them.
    serverCores: restart ? null : round((after.cpuSeconds - postCpuBefore.cpuSeconds) / elapsed, 2),
    clientCores: round((clientCpu.user + clientCpu.system) / 1e6 / ((performance.now() - connectStart) / 1000), 2),
    // Everything on the machine, so a run disturbed by other work shows it.
    machineCores: round((after.machineSeconds - postCpuBefore.machineSeconds) / elapsed, 2),
    loadAverage: Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]),
  };
  report.memory.afterKb = pidsAfter ? after.rssKb : null;
  return report;
}
