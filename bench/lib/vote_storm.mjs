// The vote storm: 1,000 sockets in one room, and each socket's participant
// upvotes a question within the same 2 s. Votes must not become a frame
// each: a room sends at most 4 message.votes events a second (each with the
// latest counts), and every socket must end with the counts the server
// stored.

import { randomBytes } from "node:crypto";

import { requestAcrossTargets, requestOk, teacherToken } from "./http.mjs";
import { Listener } from "./listener.mjs";
import { Samples, round } from "./tally.mjs";
import { totals } from "./server_processes.mjs";
import { inBatches, openInWindow, sleep, waitFor } from "./waiting.mjs";

const QUESTIONS = 5;
const SETUP_CONCURRENCY = 16;
const CONNECT_WINDOW = 100;
const CONNECT_TIMEOUT_MS = 60000;
const SETTLE_TIMEOUT_MS = 30000;
const IDLE_BEFORE_MEASURING_MS = 2000;
// A vote no server took (none, a 5xx, 503 overloaded) is sent again, as the
// page does, after a jittered wait or the server's Retry-After, until then.
const VOTE_DEADLINE_MS = 30000;

async function setUp(scenario, targets, runId) {
  const target = targets[0];
  const owner = await teacherToken(target);
  const name = `votes-${runId}`;
  await requestOk("POST", `${target}/api/rooms`, { token: owner, body: { name, topic: "vote storm" } });
  const questions = [];
  for (let index = 0; index < QUESTIONS; index += 1) {
    const { message } = await requestOk("POST", `${target}/api/rooms/${name}/messages`, {
      token: owner,
      body: { text: `Question ${index + 1}: which topic should we cover next?` },
    });
    questions.push(message.id);
  }
  const voters = await inBatches([...Array(scenario.sockets).keys()], SETUP_CONCURRENCY, async (index) => {
    const joined = await requestOk("POST", `${targets[index % targets.length]}/api/rooms/${name}/join`, {
      body: { nickname: `voter ${index}` },
    });
    return joined.token;
  });
  return { room: { index: 0, name, ackedSeqs: [], ackedIds: [] }, questions, voters };
}

// Events a second from the first to the last: the spacing between them, averaged.
function meanRate(times) {
  if (times.length < 2) return null;
  const sorted = [...times].sort((a, b) => a - b);
  return round((sorted.length - 1) / ((sorted.at(-1) - sorted[0]) / 1000), 2);
}

// Votes events a second at their busiest: the most first seen in any one-second window.
function busiestSecond(times) {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while (sorted[end] - sorted[start] >= 1000) start += 1;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

export async function runVoteStorm(scenario, { targets, pids, tally }) {
  const runId = Date.now().toString(36) + randomBytes(2).toString("hex");
  const report = { scenario: "vote-storm", summary: scenario.summary, targets };
  const { room, questions, voters } = await setUp(scenario, targets, runId);
  // Each voter listens with their own token, as a joined browser does.
  const listeners = voters.map(
    (token, index) => new Listener({ room, targets, firstTarget: index, tally, token }),
  );
  report.sockets = listeners.length;
  await sleep(IDLE_BEFORE_MEASURING_MS);
  const before = totals(pids);
  const connectStart = performance.now();
  await openInWindow(listeners, { window: CONNECT_WINDOW, timeoutMs: CONNECT_TIMEOUT_MS });
  report.connect = {
    connected: listeners.filter((listener) => listener.helloAt !== null).length,
    seconds: round((performance.now() - connectStart) / 1000, 2),
  };
  await sleep(IDLE_BEFORE_MEASURING_MS);
  const idle = totals(pids);
  report.memory = { perSocketKb: round((idle.rssKb - before.rssKb) / listeners.length, 1) };

  // Every voter upvotes one question, at an even pace over the window.
  const latency = new Samples();
  const accepted = new Map(questions.map((id) => [id, 0]));
  let failed = 0;
  let resent = 0;
  const voteStart = performance.now();
  const votes = voters.map(async (token, index) => {
    await sleep((index * scenario.windowSeconds * 1000) / voters.length);
    const question = questions[index % questions.length];
    const sentAt = performance.now();
    const answer = await requestAcrossTargets(
      "POST",
      `/api/rooms/${room.name}/messages/${question}/upvote`,
      { token },
      {
        targets,
        first: index,
        deadline: sentAt + VOTE_DEADLINE_MS,
        done: [200],
        tally,
        label: "vote",
        onRetry: () => (resent += 1),
      },
    );
    if (answer?.status === 200) {
      // From the first send to the answer that took it: what the voter waits.
      latency.add(performance.now() - sentAt);
      accepted.set(question, accepted.get(question) + 1);
    } else {
      failed += 1;
      tally.count("vote failed");
    }
  });
  await Promise.all(votes);
  const votesDone = performance.now();
  const rightCounts = (listener) => questions.every((id) => (listener.upvotes.get(id) ?? 0) === accepted.get(id));
  await waitFor(() => listeners.every(rightCounts), SETTLE_TIMEOUT_MS, 50);
  const settled = performance.now();
  const after = totals(pids);
  for (const listener of listeners) listener.stop();

  const eventTimes = [...tally.votesEventSeenAt.values()];
  const right = listeners.filter(rightCounts).length;
  report.votes = {
    sent: voters.length,
    accepted: [...accepted.values()].reduce((sum, count) => sum + count, 0),
    failed,
    // Answered 503 (overloaded) or not at all, and sent again as the page does.
    resent,
    // From the first vote sent (they are spread over windowSeconds) to the last answer.
    answeredWithinSeconds: round((votesDone - voteStart) / 1000, 2),
    latencyMs: latency.summary(),
    events: eventTimes.length,
    // The server spaces them at least 250 ms apart; arrival adds jitter, so
    // the busiest second as received may hold one more than the mean allows.
    eventsPerSecond: meanRate(eventTimes),
    eventsPerSecondMax: busiestSecond(eventTimes),
  };
  report.counts = {
    right,
    wrong: listeners.length - right,
    // From the last vote's answer until every socket showed the final counts.
    settledSeconds: right === listeners.length ? round((settled - votesDone) / 1000, 2) : null,
  };
  report.lost = 0;
  report.duplicated = tally.duplicated;
  report.outOfOrder = tally.outOfOrder;
  report.reconnects = tally.reconnects;
  report.deliveries = { viaFill: tally.viaFill };
  report.events = Object.fromEntries(tally.events);
  const elapsed = (settled - voteStart) / 1000;
  report.cpu = {
    serverCores: round((after.cpuSeconds - idle.cpuSeconds) / elapsed, 2),
    machineCores: round((after.machineSeconds - idle.machineSeconds) / elapsed, 2),
  };
  return report;
}
