// Waiting, pacing and opening sockets: what every scenario does the same way.

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(condition, timeoutMs, intervalMs = 20) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (condition()) return true;
    await sleep(intervalMs);
  }
  return condition();
}

export async function inBatches(items, size, work) {
  const results = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await Promise.all(items.slice(start, start + size).map(work))));
  }
  return results;
}

// Open the listeners with at most `window` waiting for their hello at once;
// resolves to whether all of them had it within `timeoutMs`.
export async function openInWindow(listeners, { window, timeoutMs }) {
  let next = 0;
  let greeted = 0;
  for (const listener of listeners) listener.onFirstHello = () => (greeted += 1);
  return waitFor(
    () => {
      while (next < listeners.length && next - greeted < window) listeners[next++].open();
      return greeted === listeners.length;
    },
    timeoutMs,
    5,
  );
}
