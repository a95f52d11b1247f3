// After a run: does every reader end up showing what the database holds?
//
// Each room's stored state is read over the HTTP API as its teacher sees it
// (every message, deleted ones marked, and the head seq). A reader has
// converged when its lastSeq is the head and the messages it shows, id by
// seq, are exactly the stored ones that are not deleted. The stored state is
// also checked against what the posters were told: every acknowledged post
// stored once, under the id and seq it was acknowledged with.

import { request } from "./http.mjs";

const PAGE_LIMIT = 100;
const READ_ATTEMPTS = 3;
const READ_RETRY_MS = 500;
const DIVERGED_EXAMPLES = 5;
// Seqs listed per kind of difference in one example.
const SEQS_PER_EXAMPLE = 5;

async function readPage(targets, room, since, attempt) {
  const target = targets[attempt % targets.length];
  const url = `${target}/api/rooms/${room.name}/messages?since=${since}&limit=${PAGE_LIMIT}&include_deleted=1`;
  try {
    const answer = await request("GET", url, { token: room.teacherToken });
    if (answer.status === 200) return answer.body;
  } catch {
    // Another server, after a pause, below.
  }
  return null;
}

// {head, messages: [{id, seq, client_id, deleted}…]} of one room.
async function readRoom(targets, room) {
  const messages = [];
  let since = 0;
  for (;;) {
    let page = null;
    for (let attempt = 0; page === null && attempt < READ_ATTEMPTS; attempt += 1) {
      if (attempt) await new Promise((resolve) => setTimeout(resolve, READ_RETRY_MS));
      page = await readPage(targets, room, since, attempt);
    }
    if (page === null) throw new Error(`could not read the messages of ${room.name}`);
    messages.push(...page.messages);
    if (!page.has_more || page.messages.length === 0) return { head: page.seq, messages };
    since = page.messages.at(-1).seq;
  }
}

// What each room should show, and how its stored messages compare with the acknowledgements.
export async function readDatabase(rooms, targets) {
  const states = new Map();
  const database = { messages: 0, deleted: 0, storedTwice: 0, ackedNotStored: 0, storedNotAcked: 0 };
  for (const room of rooms) {
    const { head, messages } = await readRoom(targets, room);
    const shownIdBySeq = new Uint32Array(head + 1);
    const storedIdBySeq = new Map();
    const clientIds = new Set();
    for (const message of messages) {
      storedIdBySeq.set(message.seq, message.id);
      if (!message.deleted) shownIdBySeq[message.seq] = message.id;
      if (message.deleted) database.deleted += 1;
      if (message.client_id !== null) {
        if (clientIds.has(message.client_id)) database.storedTwice += 1;
        clientIds.add(message.client_id);
      }
    }
    const ackedSeqs = new Set(room.ackedSeqs);
    room.ackedSeqs.forEach((seq, index) => {
      if (storedIdBySeq.get(seq) !== room.ackedIds[index]) database.ackedNotStored += 1;
    });
    for (const seq of storedIdBySeq.keys()) if (!ackedSeqs.has(seq)) database.storedNotAcked += 1;
    database.messages += messages.length;
    states.set(room, { head, shownIdBySeq });
  }
  return { states, database };
}

function differences(shown, expected) {
  const found = { missing: [], unexpected: [], wrongId: [], count: 0 };
  const end = Math.max(shown.length, expected.length);
  for (let seq = 1; seq < end; seq += 1) {
    const has = shown[seq] ?? 0;
    const should = expected[seq] ?? 0;
    if (has === should) continue;
    found.count += 1;
    const kind = has === 0 ? found.missing : should === 0 ? found.unexpected : found.wrongId;
    if (kind.length < SEQS_PER_EXAMPLE) kind.push(seq);
  }
  return found;
}

export function compareReaders(listeners, states) {
  let converged = 0;
  const examples = [];
  listeners.forEach((listener, index) => {
    const { head, shownIdBySeq } = states.get(listener.room);
    const found = differences(listener.shownIdBySeq, shownIdBySeq);
    if (listener.lastSeq === head && found.count === 0) {
      converged += 1;
      return;
    }
    if (examples.length < DIVERGED_EXAMPLES) {
      const { missing, unexpected, wrongId } = found;
      examples.push({ room: listener.room.name, listener: index, lastSeq: listener.lastSeq, head, missing, unexpected, wrongId });
    }
  });
  return { converged, diverged: listeners.length - converged, examples };
}
