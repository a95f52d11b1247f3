// JSON over HTTP with keep-alive, and nothing else: the bench opens
// thousands of sockets in the same process, so it uses node:http directly
// instead of fetch to keep its own CPU cost low and its connection count capped.

import http from "node:http";

// Requests beyond this per server wait in the client, so a gap-fill herd
// can't open thousands of connections at once.
const MAX_CONNECTIONS_PER_SERVER = 64;
const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_CONNECTIONS_PER_SERVER });

export class HttpError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}: ${JSON.stringify(body?.error ?? body)}`);
    this.status = status;
    this.body = body;
  }

  get code() {
    return this.body?.error?.code;
  }
}

// Resolves to {status, body}; rejects only on a network error or timeout.
export function request(method, url, { body, token, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = { Accept: "application/json" };
    if (payload) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = payload.length;
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    const outgoing = http.request(url, { method, headers, agent, timeout: timeoutMs }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed = null;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          parsed = { raw: text.slice(0, 200) };
        }
        resolve({ status: response.statusCode, body: parsed, headers: response.headers });
      });
      response.on("error", reject);
    });
    outgoing.on("timeout", () => outgoing.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    outgoing.on("error", reject);
    if (payload) outgoing.write(payload);
    outgoing.end();
  });
}

// For set-up calls that must succeed: throws HttpError on anything but 2xx.
export async function requestOk(method, url, options) {
  const answer = await request(method, url, options);
  if (answer.status < 200 || answer.status >= 300) throw new HttpError(answer.status, answer.body);
  return answer.body;
}

const RETRY_BASE_MS = 200;
const RETRY_CAP_MS = 4000;

// Sends one request to the servers in turn, from targets[first], until one
// answers it or `deadline` (a performance.now() time) passes. A network error
// or a 5xx is counted in `tally` under `label` and tried again on the next
// server after a jittered exponential backoff; so is a 429 with
// `retryRateLimited`, waiting at least its retry_after. `onRetry(answer)` runs
// before each wait (answer is null after a network error). Resolves to the
// answer whose status is in `done`, or to null once refused or out of time.
export async function requestAcrossTargets(
  method,
  path,
  options,
  { targets, first, deadline, done, tally, label, retryRateLimited = false, onRetry = () => {} },
) {
  for (let attempt = 0; performance.now() < deadline; attempt += 1) {
    const target = targets[(first + attempt) % targets.length];
    let answer = null;
    try {
      answer = await request(method, `${target}${path}`, options);
    } catch (error) {
      tally.count(`${label} network error: ${error.code ?? error.message.slice(0, 40)}`);
    }
    if (answer && done.includes(answer.status)) return answer;
    let waitMs = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
    if (answer?.status === 429 && retryRateLimited) {
      waitMs = Math.max(waitMs, (answer.body?.error?.retry_after ?? 1) * 1000);
    } else if (answer && answer.status < 500) {
      tally.count(`${label} refused: ${answer.status} ${answer.body?.error?.code}`);
      return null;
    } else if (answer) {
      tally.count(`${label} ${answer.status}`);
      // A server shedding load (503 overloaded) says when to come back.
      const retryAfter = Number(answer.headers["retry-after"]);
      if (Number.isFinite(retryAfter)) waitMs = Math.max(waitMs, retryAfter * 1000);
    }
    onRetry(answer);
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
  return null;
}

export function closeConnections() {
  agent.destroy();
}

// Signing up needs a link from an email, so the bench signs in as a teacher
// bench/suite.py made beforehand (manage.py createsuperuser), named by
// BENCH_TEACHER_EMAIL and BENCH_TEACHER_PASSWORD.
export async function teacherToken(target) {
  const email = process.env.BENCH_TEACHER_EMAIL;
  const password = process.env.BENCH_TEACHER_PASSWORD;
  if (!email || !password) throw new Error("set BENCH_TEACHER_EMAIL and BENCH_TEACHER_PASSWORD (see bench/suite.py)");
  const { token } = await requestOk("POST", `${target}/api/tokens`, { body: { email, password } });
  return token;
}
