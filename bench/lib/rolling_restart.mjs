// Restarts the server processes behind the targets one at a time with
// deploy/rolling-restart, the script an operator runs for a deploy, and
// records how long it took, how it ended and what it said, timed from the
// start of the posting.
//
// It needs the processes to run under deploy/cluster on this machine: the
// script finds each one by its pid file, run/cluster/<port>.pid.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

import { round } from "./tally.mjs";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCRIPT = fileURLToPath(new URL("../../deploy/rolling-restart", import.meta.url));
// Each process may take this long to drain and come back before the script
// gives up; past that plus a margin, the script itself is stuck.
const PROCESS_TIMEOUT_SECONDS = 60;
const STUCK_AFTER_SECONDS_PER_PROCESS = PROCESS_TIMEOUT_SECONDS + 10;

// The longest a rolling restart of `processes` may run before it counts as failed.
export function longestRestartSeconds(processes) {
  return STUCK_AFTER_SECONDS_PER_PROCESS * processes;
}

export class RollingRestart {
  constructor({ targets, origin }) {
    this.ports = targets.map((target) => Number(new URL(target).port));
    this.origin = origin;
    this.startedAt = null;
    this.endedAt = null;
    this.exitCode = null;
    this.failure = null;
    this.log = [];
  }

  secondsSinceOrigin(time) {
    return round((time - this.origin) / 1000, 2);
  }

  // Resolves when the script has ended, however it ended.
  run() {
    this.startedAt = performance.now();
    return new Promise((resolve) => {
      const child = spawn(SCRIPT, ["--ports", this.ports.join(","), "--timeout", String(PROCESS_TIMEOUT_SECONDS)], {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      });
      const longest = longestRestartSeconds(this.ports.length);
      const stuck = setTimeout(() => {
        this.failure = `still running after ${longest} s; killed`;
        child.kill("SIGKILL");
      }, longest * 1000);
      const keep = (chunk) => {
        for (const line of chunk.toString().split("\n")) {
          if (!line.trim()) continue;
          this.log.push({ atSeconds: this.secondsSinceOrigin(performance.now()), line });
          console.error(`  ${line}`);
        }
      };
      child.stdout.on("data", keep);
      child.stderr.on("data", keep);
      const end = (failure) => {
        if (this.endedAt !== null) return;
        clearTimeout(stuck);
        this.endedAt = performance.now();
        this.failure ??= failure;
        resolve(this);
      };
      child.on("error", (error) => end(`could not run ${SCRIPT}: ${error.message}`));
      child.on("close", (code, signal) => {
        this.exitCode = code;
        end(code === 0 ? null : `exited with ${code ?? signal}`);
      });
    });
  }

  get succeeded() {
    return this.exitCode === 0 && this.failure === null;
  }

  summary() {
    return {
      ports: this.ports,
      startedAtSeconds: this.startedAt === null ? null : this.secondsSinceOrigin(this.startedAt),
      seconds: this.endedAt === null ? null : round((this.endedAt - this.startedAt) / 1000, 2),
      exitCode: this.exitCode,
      succeeded: this.succeeded,
      failure: this.failure,
      log: this.log,
    };
  }
}
