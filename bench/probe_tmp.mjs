import WebSocket from "ws";
import { randomBytes, randomUUID } from "node:crypto";
import { requestOk, request, closeConnections } from "./lib/http.mjs";
import { cpuSeconds, pidsListeningOn } from "./lib/server_processes.mjs";
const B = "http://127.0.0.1:8001";
const [pid] = pidsListeningOn([8001]);
const run = Date.now().toString(36);
const { token } = await requestOk("POST", `${B}/api/teachers`, { body: { email: `p${run}@example.org`, password: randomBytes(12).toString("hex") } });
const name = `probe-${run}`;
await requestOk("POST", `${B}/api/rooms`, { token, body: { name } });
async function measure(label, n, fn) {
  const c0 = cpuSeconds(pid), t0 = performance.now();
  await fn();
  const c1 = cpuSeconds(pid), t1 = performance.now();
  console.log(`${label}: ${n} in ${(t1 - t0).toFixed(0)} ms wall = ${((t1 - t0) / n).toFixed(2)} ms/op, server cpu ${((c1 - c0) * 1000 / n).toFixed(2)} ms/op`);
}
const N = Number(process.env.N ?? 200);
const SOCKETS = Number(process.env.SOCKETS ?? 500);
if (!process.env.SKIP_POSTS) await measure("post (sequential)", N, async () => { for (let i = 0; i < N; i++) await requestOk("POST", `${B}/api/rooms/${name}/messages`, { token, body: { text: "probe " + i, client_id: randomUUID() } }); });
if (!process.env.SKIP_POSTS) await measure("GET events (sequential)", 200, async () => { for (let i = 0; i < 200; i++) await requestOk("GET", `${B}/api/rooms/${name}/events?since=195`); });
if (process.env.ONLY_POSTS) process.exit(0);
if (process.env.ONLY_CONNECTS) { globalThis.onlyConnects = true; }
const sockets = [];
let frames = 0;
if (process.env.SKIP_POSTS) {} 
await measure("connect (50 at a time)", SOCKETS, async () => {
  for (let b = 0; b < SOCKETS / 50; b++) {
    await Promise.all([...Array(50)].map(() => new Promise((res, rej) => {
      const ws = new WebSocket(`ws://127.0.0.1:8001/ws/rooms/${name}/?since=200`, { perMessageDeflate: false });
      ws.once("message", () => res());
      ws.on("message", () => frames++);
      ws.on("error", rej);
      sockets.push(ws);
    })));
  }
});
if (globalThis.onlyConnects) process.exit(0);
frames = 0;
await measure("post with 500 sockets (frames)", 100 * 500, async () => {
  for (let i = 0; i < 100; i++) await requestOk("POST", `${B}/api/rooms/${name}/messages`, { token, body: { text: "probe " + i, client_id: randomUUID() } });
  while (frames < 100 * 500) await new Promise((r) => setTimeout(r, 10));
});
await measure("disconnect", 500, async () => { for (const s of sockets) s.close(); await new Promise((r) => setTimeout(r, 3000)); });
closeConnections();
process.exit(0);
