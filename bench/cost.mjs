#!/usr/bin/env node
// What one operation costs the server, in CPU time: a post, a participant's
// post with the word filter off and on, a /events read, a socket connect,
// one delivered frame. Unlike the scenarios it runs one
// thing at a time against one process, so the answer barely depends on
// what else the machine is doing.
//
//   BENCH_TEACHER_EMAIL=… BENCH_TEACHER_PASSWORD=… \
//   node bench/cost.mjs --target http://127.0.0.1:8001 [--pid N] [--count 300] [--sockets 1000] [--json FILE]
//
// Posts go in as the room's owner, who is never rate limited: a teacher made
// beforehand, e.g. with `manage.py createsuperuser` (signing up needs an
// emailed link).

import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";

import WebSocket from "ws";

import { writeFileSync } from "node:fs";

import { closeConnections, requestOk, teacherToken } from "./lib/http.mjs";
import { cpuSeconds, pidsListeningOn } from "./lib/server_processes.mjs";

const CONNECT_BATCH = 50;
const WAIT_LIMIT_MS = 60000;

const { values } = parseArgs({
  options: {
    target: { type: "string", default: "http://127.0.0.1:8001" },
    pid: { type: "string" },
    count: { type: "string", default: "300" },
    sockets: { type: "string", default: "1000" },
    json: { type: "string" },
  },
});
const target = values.target.replace(/\/$/, "");
const url = new URL(target);
if (!["127.0.0.1", "localhost"].includes(url.hostname)) throw new Error("loopback targets only");
const pid = values.pid ? Number(values.pid) : pidsListeningOn([Number(url.port)])[0];
const count = Number(values.count);
const socketCount = Number(values.sockets);

async function measure(label, operations, work) {
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  await work();
  const wallMs = (performance.now() - started) / operations;
  const cpuMs = ((cpuSeconds(pid) - cpuBefore) * 1000) / operations;
  console.log(`${label.padEnd(34)} ${wallMs.toFixed(2).padStart(7)} ms wall  ${cpuMs.toFixed(3).padStart(7)} ms server CPU`);
  results[label] = { wallMs: Number(wallMs.toFixed(3)), cpuMs: Number(cpuMs.toFixed(3)) };
}
// label → {wallMs, cpuMs}, for --json (bench/suite.py puts it in its table).
const results = {};

const run = Date.now().toString(36);
const token = await teacherToken(target);
const name = `cost-${run}`;
await requestOk("POST", `${target}/api/rooms`, { token, body: { name } });
// A busy server may refuse a request at once (503 overloaded, e.g. while the
// last run's sockets close): wait as it asks and send it again, as a page does.
let refusals = 0;
async function okOrResent(method, url, options) {
  for (;;) {
    try {
      return await requestOk(method, url, options);
    } catch (error) {
      if (error.status !== 503 || error.body?.error?.code !== "overloaded") throw error;
      refusals += 1;
      await new Promise((resolve) => setTimeout(resolve, (error.body.error.retry_after ?? 1) * 1000));
    }
  }
}
const postOne = (index) =>
  okOrResent("POST", `${target}/api/rooms/${name}/messages`, {
    token,
    body: { text: `cost probe ${index}`, client_id: randomUUID() },
  });
// Warm up the process's caches and connections first.
for (let index = 0; index < 20; index += 1) await postOne(index);

console.log(`server pid ${pid}, one operation at a time unless said otherwise`);
await measure("POST a message", count, async () => {
  for (let index = 0; index < count; index += 1) await postOne(index);
});
// A participant's post, the only kind the word filter reads, in a room with
// the filter off and in one with it on ("mask", and 200 words of its own).
// Participants have a burst of 20 posts, so the posts take turns over many.
const POSTS_PER_PARTICIPANT = 15;
const QUESTION = "Is this going to be on the test, or only the parts we covered in class? I missed Friday's lesson.";

async function participantRoom(suffix, settings) {
  const roomName = `${name}-${suffix}`;
  await requestOk("POST", `${target}/api/rooms`, { token, body: { name: roomName } });
  if (settings) await requestOk("PATCH", `${target}/api/rooms/${roomName}`, { token, body: settings });
  const tokens = [];
  for (let index = 0; index < Math.ceil((count + 20) / POSTS_PER_PARTICIPANT); index += 1) {
    tokens.push((await requestOk("POST", `${target}/api/rooms/${roomName}/join`, { body: { nickname: `p${index}` } })).token);
  }
  let next = 0;
  return () =>
    okOrResent("POST", `${target}/api/rooms/${roomName}/messages`, {
      token: tokens[Math.floor(next++ / POSTS_PER_PARTICIPANT)],
      body: { text: QUESTION, client_id: randomUUID() },
    });
}

const blockedWords = Array.from({ length: 200 }, (_, index) => `blockedword${index}`);
const rooms = {
  off: await participantRoom("plain"),
  on: await participantRoom("filtered", { word_filter: "mask", blocked_words: blockedWords }),
};
for (const post of Object.values(rooms)) for (let index = 0; index < 20; index += 1) await post();
for (const [state, post] of Object.entries(rooms)) {
  await measure(`POST as a participant, filter ${state}`, count, async () => {
    for (let index = 0; index < count; index += 1) await post();
  });
}
console.log("  (the filter's cost is the difference of those two)");

await measure("GET /events (5 events)", count, async () => {
  for (let index = 0; index < count; index += 1) {
    await okOrResent("GET", `${target}/api/rooms/${name}/events?since=${count}&limit=5`);
  }
});

const sockets = [];
let frames = 0;
const head = count + 20;
await measure(`connect (${CONNECT_BATCH} at a time)`, socketCount, async () => {
  for (let opened = 0; opened < socketCount; opened += CONNECT_BATCH) {
    await Promise.all(
      Array.from(
        { length: Math.min(CONNECT_BATCH, socketCount - opened) },
        () =>
          new Promise((resolve, reject) => {
            const socket = new WebSocket(`${target.replace(/^http/, "ws")}/ws/rooms/${name}/?since=${head}`, {
              perMessageDeflate: false,
              origin: target,
            });
            socket.once("message", resolve);
            socket.on("message", () => (frames += 1));
            socket.on("error", reject);
            sockets.push(socket);
          }),
      ),
    );
  }
});

const posts = Math.max(1, Math.floor(count / 10));
frames = 0;
await measure(`deliver a frame (${socketCount} sockets)`, posts * socketCount, async () => {
  for (let index = 0; index < posts; index += 1) await postOne(index);
  const deadline = performance.now() + WAIT_LIMIT_MS;
  while (frames < posts * socketCount && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
});
console.log("  (the frame cost includes its share of the posts that caused them)");
if (refusals) console.log(`  (${refusals} requests refused as overloaded, and sent again; their wait is not counted out)`);
for (const socket of sockets) socket.terminate();
if (values.json) writeFileSync(values.json, `${JSON.stringify({ pid, count, sockets: socketCount, operations: results }, null, 2)}\n`);
closeConnections();
process.exit(0);
