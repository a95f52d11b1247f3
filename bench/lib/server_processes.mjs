// The server processes behind the targets, for their memory and CPU time.
// Only meaningful when the servers run on this machine (the bench refuses
// non-loopback targets anyway).

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const CLOCK_TICKS_PER_SECOND = 100;

// The server process listening on each port, from `ss -ltnp` (same user, so
// it may see them). Under deploy/cluster the supervisor holds each port's
// socket too, and is not the server.
export function pidsListeningOn(ports) {
  const output = execFileSync("ss", ["-ltnpH"], { encoding: "utf8" });
  const pids = [];
  for (const port of ports) {
    const line = output.split("\n").find((row) => new RegExp(`:${port}\\s`).test(row)) ?? "";
    const server = [...line.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1])).find(isServer);
    if (server === undefined) throw new Error(`no server process found listening on port ${port}; pass --pids`);
    pids.push(server);
  }
  return pids;
}

function isServer(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("serve");
  } catch {
    return false;
  }
}

export function rssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(status.match(/^VmRSS:\s+(\d+) kB/m)[1]);
}

// User + system CPU seconds the process has used so far.
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

export function totals(pids) {
  let rss = 0;
  let cpu = 0;
  for (const pid of pids) {
    rss += rssKb(pid);
    cpu += cpuSeconds(pid);
  }
  return { rssKb: rss, cpuSeconds: cpu, machineSeconds: machineBusySeconds() };
}

// Busy CPU seconds of the whole machine so far (every process: the servers,
// PostgreSQL, Redis, this client, and anything else running).
export function machineBusySeconds() {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_SECOND;
}
