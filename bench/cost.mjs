#!/usr/bin/env node
// What one operation costs the server, in CPU time: a post, a /events read,
// a socket connect, one delivered frame. Unlike the scenarios it runs one
// thing at a time against one process, so the answer barely depends on
// what else the machine is doing.
//
//   BENCH_TEACHER_EMAIL=… BENCH_TEACHER_PASSWORD=… \
//   node bench/cost.mjs --target http://127.0.0.1:8001 [--pid N] [--count 300] [--sockets 1000]
//
// Posts go in as the room's owner, who is never rate limited: a teacher made
// beforehand, e.g. with `manage.py createsuperuser` (signing up needs an
// emailed link).

import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";

import WebSocket from "ws";

import { closeConnections, requestOk } from "./lib/http.mjs";
import { teacherToken } from "./lib/scenarios.mjs";
import { cpuSeconds, pidsListeningOn } from "./lib/server_processes.mjs";

const CONNECT_BATCH = 50;
const WAIT_LIMIT_MS = 60000;

const { values } = parseArgs({
  options: {
    target: { type: "string", default: "http://127.0.0.1:8001" },
    pid: { type: "string" },
    count: { type: "string", default: "300" },
    sockets: { type: "string", default: "1000" },
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
}

const run = Date.now().toString(36);
const token = await teacherToken(target);
const name = `cost-${run}`;
await requestOk("POST", `${target}/api/rooms`, { token, body: { name } });
const postOne = (index) =>
  requestOk("POST", `${target}/api/rooms/${name}/messages`, {
    token,
    body: { text: `cost probe ${index}`, client_id: randomUUID() },
  });
// Warm up the process's caches and connections first.
for (let index = 0; index < 20; index += 1) await postOne(index);

console.log(`server pid ${pid}, one operation at a time unless said otherwise`);
await measure("POST a message", count, async () => {
  for (let index = 0; index < count; index += 1) await postOne(index);
});
await measure("GET /events (5 events)", count, async () => {
  for (let index = 0; index < count; index += 1) {
    await requestOk("GET", `${target}/api/rooms/${name}/events?since=${count}&limit=5`);
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
for (const socket of sockets) socket.terminate();
closeConnections();
process.exit(0);
