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

export function closeConnections() {
  agent.destroy();
}
