#!/usr/bin/env node
// Load a running todaysmeet (one or more processes) with one scenario.
//
//   node bench/load.mjs --scenario big-room --targets http://127.0.0.1:8001,http://127.0.0.1:8002
//
// Options:
//   --scenario classrooms|big-room|connect-storm|rolling-restart|vote-storm|
//              sockets-10k|big-room-5k|history-reads|post-throughput|overload   (required)
//   --targets  comma-separated base URLs; sockets and posts are spread over them
//   --duration seconds of posting in the steady scenarios (default 30)
//   --pids     comma-separated server pids for RSS/CPU (default: whoever listens on the target ports)
//   --label    a name for this server in the report (default "server")
//   --json     write the report to this file as well
//   --sustained posts/s the servers sustain (post-throughput's result): overload offers twice that
//
// rolling-restart runs deploy/rolling-restart on the target ports, so the
// targets must be a deploy/cluster on this machine; after it, RSS is read
// from whoever listens on the ports then.
//
// Every phase has a time limit and the whole run has a hard one, so a server
// that stops answering ends the run with a report, not a hang.

import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";

import { closeConnections } from "./lib/http.mjs";
import { longestRestartSeconds } from "./lib/rolling_restart.mjs";
import { SCENARIOS, runScenario } from "./lib/scenarios.mjs";
import { pidsListeningOn } from "./lib/server_processes.mjs";
import { Tally } from "./lib/tally.mjs";

const HARD_LIMIT_EXTRA_SECONDS = 180;

function fail(message) {
  console.error(`load.mjs: ${message}`);
  process.exit(2);
}

function parseTargets(raw) {
  const targets = raw.split(",").map((target) => target.trim().replace(/\/$/, ""));
  for (const target of targets) {
    const url = new URL(target);
    // This tool floods whatever it is pointed at; keep it on this machine.
    if (url.protocol !== "http:" || !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) {
      fail(`refusing target ${target}: only http:// on the loopback interface`);
    }
  }
  return targets;
}

function printReport(report) {
  const line = (label, value) => console.log(`  ${label.padEnd(22)} ${value}`);
  const ms = (summary) => `p50 ${summary.p50} / p90 ${summary.p90} / p99 ${summary.p99} / max ${summary.max} ms`;
  if (report.steps) {
    console.log(`\n${report.label}: ${report.scenario} (${report.summary})`);
    for (const step of report.steps) {
      line(`${step.offeredPerSecond} posts/s`, `${step.passed ? "held" : "BROKE"}: answered ${step.answeredPerSecond}/s, answers ${ms(step.postLatencyMs)}; deliveries ${ms(step.latencyMs)}; ${step.lost} lost, ${step.failed} failed, ${step.retries} retried; server ${step.serverCores} cores`);
    }
    line("sustained", `${report.sustainedPerSecond ?? "none of the steps"} posts/s`);
    return;
  }
  if (report.overload) {
    const { overload, recovery, database } = report;
    console.log(`\n${report.label}: ${report.scenario} (${report.summary})`);
    line("offered", `${report.offeredPerSecond} posts/s (2 × ${report.sustainedPerSecond}) for ${report.durationSeconds} s`);
    line("accepted", `${overload.accepted} of ${overload.sent} (${overload.acceptedPerSecond}/s); answers ${ms(overload.acceptedMs)}`);
    line("refused", `${overload.refused} ${JSON.stringify(overload.refusedByStatus)}, ${overload.refusedWithRetryAfter} with Retry-After; answers ${ms(overload.refusedMs)}`);
    line("failed", `${overload.failed} ${JSON.stringify(overload.failures)}; ${overload.skipped} skipped by the client`);
    line("recovery", `answers normal ${recovery.seconds ?? "never"} s after the load dropped`);
    line("database", JSON.stringify(database));
    line("deliveries", `${ms(report.latencyMs)}; ${report.lost} lost`);
    return;
  }
  if (report.votes) {
    console.log(`\n${report.label}: ${report.scenario} (${report.summary})`);
    line("connect", `${report.connect.connected}/${report.sockets} in ${report.connect.seconds} s`);
    line("votes", `${report.votes.accepted}/${report.votes.sent} accepted, ${report.votes.failed} failed (${report.votes.resent} sent again), all answered within ${report.votes.answeredWithinSeconds} s; answers ${ms(report.votes.latencyMs)}`);
    line("votes events", `${report.votes.events}, ${report.votes.eventsPerSecond}/s; ${report.votes.eventsPerSecondMax} in the busiest second as received`);
    line("counts", `${report.counts.right} sockets right, ${report.counts.wrong} wrong; settled ${report.counts.settledSeconds} s after the last vote`);
    line("cpu", `server ${report.cpu.serverCores} cores, whole machine ${report.cpu.machineCores}`);
    if (Object.keys(report.events).length) line("events", JSON.stringify(report.events));
    return;
  }
  console.log(`\n${report.label}: ${report.scenario} (${report.summary})`);
  if (report.storm) {
    line("storm", `all connected ${report.storm.allConnectedSeconds} s, all receiving ${report.storm.allReceivingSeconds} s`);
  }
  line("connect", `${report.connect.connected}/${report.sockets} in ${report.connect.seconds} s (${report.connect.perSecond}/s); hello at ${ms(report.connect.helloMs)}`);
  line("deliveries", `${report.deliveries.viaSocket} by socket + ${report.deliveries.viaFill} by /events of ${report.deliveries.expected}; ${report.deliveries.perSecond}/s (offered ${report.deliveries.offeredPerSecond}/s)`);
  line("latency", ms(report.latencyMs));
  line("posts", `${report.posts.acked}/${report.posts.sent} acked, ${report.posts.failed} failed, ${report.posts.retries} retries; ${ms(report.posts.latencyMs)}`);
  line("lost / dup / late", `${report.lost} / ${report.duplicated} / ${report.outOfOrder} (gaps ${report.gaps}, reconnects ${report.reconnects})`);
  line("server RSS", `${report.memory.beforeKb} → ${report.memory.withSocketsKb} kB: ${report.memory.perSocketKb} kB per socket`);
  line("cpu", `server ${report.cpu.serverCores} cores, client ${report.cpu.clientCores}, whole machine ${report.cpu.machineCores} of ${cpus().length} (load ${report.cpu.loadAverage})`);
  if (Object.keys(report.events).length) line("events", JSON.stringify(report.events));
  if (report.history) line("history reads", `${report.history.sent} (${report.history.perSecond}/s), ${report.history.failed} failed, ${report.history.skipped} skipped; ${ms(report.history.latencyMs)}`);
  if (report.deletes) line("deletes", `${report.deletes.done}/${report.deletes.sent} done, ${report.deletes.failed} failed`);
  if (report.restart) {
    const { startedAtSeconds, seconds, succeeded, failure } = report.restart;
    const outcome = succeeded ? "succeeded" : `FAILED: ${failure}`;
    line("rolling restart", `at ${startedAtSeconds} s into the posting, took ${seconds} s, ${outcome}; posting stopped at ${report.restart.postingStoppedAtSeconds} s`);
  }
  if (report.convergence) {
    const { converged, diverged, database, error } = report.convergence;
    if (error) line("convergence", `NOT CHECKED: ${error}`);
    else line("convergence", `${converged} readers converged, ${diverged} diverged; database ${JSON.stringify(database)}`);
    for (const example of report.convergence.examples ?? []) line("", `diverged: ${JSON.stringify(example)}`);
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      scenario: { type: "string" },
      targets: { type: "string", default: "http://127.0.0.1:8001,http://127.0.0.1:8002" },
      duration: { type: "string", default: "30" },
      pids: { type: "string" },
      label: { type: "string", default: "server" },
      json: { type: "string" },
      sustained: { type: "string" },
    },
  });
  if (!SCENARIOS[values.scenario]) fail(`--scenario is one of ${Object.keys(SCENARIOS).join(", ")}`);
  const durationSeconds = Number(values.duration);
  if (!(durationSeconds > 0 && durationSeconds <= 600)) fail("--duration is 1–600 seconds");
  const targets = parseTargets(values.targets);
  const pids = values.pids
    ? values.pids.split(",").map(Number)
    : pidsListeningOn(targets.map((target) => Number(new URL(target).port || 80)));

  const restartSeconds = SCENARIOS[values.scenario].rollingRestart ? longestRestartSeconds(targets.length) : 0;
  // post-throughput climbs steps of a third of the duration each, with a settle after each.
  // overload's unanswered posts take up to their 10 s timeout, and the probe half the duration.
  const stepsSeconds = { "post-throughput": 4 * durationSeconds + 120, overload: durationSeconds + 60 }[values.scenario] ?? 0;
  const hardLimitSeconds = durationSeconds + HARD_LIMIT_EXTRA_SECONDS + restartSeconds + stepsSeconds;
  const sustainedPerSecond = Number(values.sustained ?? 0);
  if (values.scenario === "overload" && !(sustainedPerSecond > 0)) fail("overload needs --sustained (posts/s)");
  setTimeout(() => fail("hard time limit reached; the server stopped answering?"), hardLimitSeconds * 1000).unref();
  const report = await runScenario(values.scenario, {
    targets,
    pids,
    durationSeconds,
    tally: new Tally(),
    sustainedPerSecond,
  });
  report.label = values.label;
  report.pids = pids;
  printReport(report);
  if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  closeConnections();
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
