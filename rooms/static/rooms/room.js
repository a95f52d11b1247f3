// The room page: history, the live stream, the composer, and the teacher's tools.
//
// Connecting, resuming and ordering events live in stream.js; this module
// renders what it is handed and sends what people type. The room as last
// seen (`state.room`) decides what the dock offers: joining, posting, or a
// notice saying why not.

import { authorLabel, button, colorMarker, element, testId, timeElement } from "./dom.js";
import { RoomStream, closingWatch, roomApi } from "./stream.js";

const config = JSON.parse(document.getElementById("room-config").textContent);
const roomName = config.room.name;
const api = roomApi(roomName);
const role = config.role;
const isModerator = role === "owner" || role === "moderator";
const isOwner = role === "owner";
const PAGE_SIZE = 50;
// Closer than this to an edge of the list counts as being at it.
const EDGE_SLACK_PX = 120;
const REASON_MAX = 200;
// Said when a room this page could read asks for a password, new or changed.
const LOCKED_REASON = "This room now needs a password. Type the one your teacher gave you.";

const byId = (id) => document.getElementById(id);
const elements = {
  topic: document.querySelector("[data-testid=room-topic]"),
  copyUrl: byId("copy-url"),
  roomUrl: document.querySelector("[data-testid=room-url]"),
  notice: byId("connection-notice"),
  paused: byId("paused-notice"),
  scroller: byId("scroller"),
  list: byId("messages"),
  loadOlder: byId("load-older"),
  historyStart: byId("history-start"),
  empty: byId("empty-room"),
  deleted: byId("room-deleted"),
  closed: byId("room-closed"),
  muted: byId("muted-notice"),
  unlockForm: byId("unlock-form"),
  unlockReason: document.querySelector("[data-testid=unlock-reason]"),
  unlockNickname: byId("unlock-nickname"),
  unlockPassword: byId("unlock-password"),
  unlockError: document.querySelector("[data-testid=unlock-error]"),
  joinForm: byId("join-form"),
  nickname: byId("nickname"),
  joinError: document.querySelector("[data-testid=join-error]"),
  composer: byId("composer"),
  text: byId("message-text"),
  counter: byId("char-counter"),
  send: document.querySelector("[data-testid=send]"),
  myAuthor: byId("my-author"),
  myNickname: document.querySelector("[data-testid=my-nickname]"),
  slowModeHint: byId("slow-mode-hint"),
};

const state = {
  room: config.room,
  me: config.me,
  // The room is private and this browser hasn't (or no longer has) its password.
  locked: config.locked,
  // "deleted" or "missing" once the room is gone for good.
  gone: null,
  showDeleted: false,
  historyLoaded: false,
  // Bumped by every full reload, so an older page fetched before it is dropped.
  historyGeneration: 0,
  oldestSeq: null,
  hasOlder: false,
  loadingOlder: false,
};
const rendered = new Map(); // message id -> <li>
// Ids never come back once deleted; remembering them stops a late POST answer
// or an older history page from resurrecting one.
const deletedIds = new Set();
const pendingPosts = new Map(); // client_id -> {text, item}

// ---------------------------------------------------------------------------
// Rendering messages

function messageItem(message) {
  const item = testId(element("li", "message"), "message");
  const meta = element("div", "message-meta");
  meta.append(authorLabel(message));
  item.append(meta, testId(element("p", "message-text", message.text), "message-text"));
  return item;
}

function isMine(message) {
  return state.me?.id != null && message.participant_id === state.me.id;
}

function confirmedItem(message, { mine }) {
  const item = messageItem(message);
  item.dataset.id = message.id;
  item.dataset.seq = message.seq;
  item.dataset.state = "confirmed";
  if (message.participant_id != null) item.dataset.participantId = message.participant_id;
  item.classList.toggle("mine", mine || isMine(message));
  const meta = item.querySelector(".message-meta");
  meta.append(timeElement(message.created_at));
  const actions = element("span", "message-actions");
  if (isModerator) {
    const remove = button("Delete", {
      className: "delete small secondary",
      id: "delete-message",
      onClick: () => deleteMessage(message.id),
    });
    remove.setAttribute("aria-label", `Delete message from ${message.nickname}`);
    actions.append(remove);
  } else {
    const report = button("Report", {
      className: "report small secondary",
      id: "report-message",
      onClick: () => reportFormOpen(item, message),
    });
    report.setAttribute("aria-label", `Report message from ${message.nickname}`);
    report.hidden = item.classList.contains("mine");
    actions.append(report);
  }
  meta.append(actions);
  return item;
}

// A deleted message kept as evidence, shown to moderators who asked for it.
function evidenceItem(message) {
  const item = confirmedItem(message, { mine: false });
  markDeleted(item, message);
  return item;
}

function markDeleted(item, { deleted_at: deletedAt, deleted_by: deletedBy } = {}) {
  item.dataset.state = "deleted";
  item.classList.add("deleted");
  item.querySelector(".message-actions")?.remove();
  const note = testId(element("span", "deleted-note", "Deleted"), "deleted-note");
  if (deletedBy) note.textContent = `Deleted by ${deletedBy}`;
  if (deletedAt) note.title = new Date(deletedAt).toLocaleString();
  item.querySelector(".message-meta").append(note);
}

function nearBottom() {
  const { scrollHeight, scrollTop, clientHeight } = elements.scroller;
  return scrollHeight - scrollTop - clientHeight < EDGE_SLACK_PX;
}

// Follow new messages only if the reader was already at the bottom; someone
// reading further up must not be yanked down.
function changingList(change, { forceBottom = false } = {}) {
  const follow = forceBottom || nearBottom();
  change();
  if (follow) elements.scroller.scrollTop = elements.scroller.scrollHeight;
  updateListChrome();
}

function updateListChrome() {
  const hasAny = rendered.size > 0 || pendingPosts.size > 0;
  elements.empty.hidden = !state.historyLoaded || hasAny;
  elements.loadOlder.hidden = !state.hasOlder;
  elements.historyStart.hidden = !state.historyLoaded || state.hasOlder || !hasAny;
  elements.list.dataset.lastSeq = stream.lastSeq;
}

// Confirmed messages stay in seq order, above any posts still pending.
function placeConfirmed(item, seq) {
  let before = elements.list.querySelector(":scope > [data-state=pending], :scope > [data-state=failed]");
  let node = before ? before.previousElementSibling : elements.list.lastElementChild;
  while (node && Number(node.dataset.seq) > seq) {
    before = node;
    node = node.previousElementSibling;
  }
  elements.list.insertBefore(item, before);
}

function takePending(clientId) {
  const post = clientId ? pendingPosts.get(clientId) : undefined;
  if (!post) return false;
  pendingPosts.delete(clientId);
  post.item.remove();
  return true;
}

// Moderators asking for deleted messages get them with their text; everyone
// else only ever sees a deleted message as an id to forget.
function isEvidence(message) {
  return message.deleted && state.showDeleted && typeof message.text === "string";
}

// The new row for a message, or null if it is already shown or must not be.
// The same message may arrive from the POST answer, the live frame, a replay
// and a history page, and shows once.
function newItem(message, { mine }) {
  if (message.deleted) deletedIds.add(message.id);
  if (rendered.has(message.id)) return null;
  let item = null;
  if (isEvidence(message)) item = evidenceItem(message);
  else if (!deletedIds.has(message.id)) item = confirmedItem(message, { mine });
  if (item) rendered.set(message.id, item);
  return item;
}

function showMessage(message, { mine = false } = {}) {
  const wasMine = takePending(message.client_id) || mine;
  const item = newItem(message, { mine: wasMine });
  if (item) placeConfirmed(item, message.seq);
}

function removeMessage(id) {
  deletedIds.add(id);
  const item = rendered.get(id);
  if (!item) return;
  if (state.showDeleted) {
    if (item.dataset.state !== "deleted") markDeleted(item);
    return;
  }
  rendered.delete(id);
  item.remove();
}

// ---------------------------------------------------------------------------
// History

function historyQuery(extra) {
  const params = new URLSearchParams({ limit: PAGE_SIZE, ...extra });
  if (state.showDeleted) params.set("include_deleted", "1");
  return `/messages?${params}`;
}

async function reloadHistory() {
  const page = await api("GET", historyQuery({}));
  state.historyGeneration += 1;
  changingList(
    () => {
      for (const item of rendered.values()) item.remove();
      rendered.clear();
      for (const message of page.messages) showMessage(message);
      state.oldestSeq = page.messages.length ? page.messages[0].seq : null;
      state.hasOlder = page.has_more;
      state.historyLoaded = true;
    },
    { forceBottom: true },
  );
  fillScreen();
  return page.seq;
}

async function loadOlder() {
  if (state.loadingOlder || !state.hasOlder || state.oldestSeq === null) return;
  state.loadingOlder = true;
  elements.loadOlder.disabled = true;
  const generation = state.historyGeneration;
  try {
    const page = await api("GET", historyQuery({ before: state.oldestSeq }));
    if (generation !== state.historyGeneration) return;
    // Keep what the reader is looking at in place while rows appear above it.
    const fromBottom = elements.scroller.scrollHeight - elements.scroller.scrollTop;
    const fragment = document.createDocumentFragment();
    for (const message of page.messages) {
      const item = newItem(message, { mine: false });
      if (item) fragment.append(item);
    }
    elements.list.prepend(fragment);
    elements.scroller.scrollTop = elements.scroller.scrollHeight - fromBottom;
    if (page.messages.length) state.oldestSeq = page.messages[0].seq;
    state.hasOlder = page.has_more;
  } catch (error) {
    console.warn("could not load older messages", error);
  } finally {
    state.loadingOlder = false;
    elements.loadOlder.disabled = false;
    updateListChrome();
  }
  fillScreen();
}

// On a tall screen the first page may not scroll at all, so no scroll event
// would ever ask for more.
function fillScreen() {
  const { scrollHeight, clientHeight } = elements.scroller;
  if (state.hasOlder && scrollHeight <= clientHeight + EDGE_SLACK_PX) loadOlder();
}

elements.scroller.addEventListener(
  "scroll",
  () => {
    if (elements.scroller.scrollTop < EDGE_SLACK_PX) loadOlder();
  },
  { passive: true },
);
elements.loadOlder.addEventListener("click", loadOlder);

// ---------------------------------------------------------------------------
// Events

function applyEvent(event) {
  switch (event.type) {
    case "message.created":
      changingList(() => showMessage(event.message));
      if (isModerator) participantsNoticeAuthor(event.message);
      break;
    case "message.deleted":
      changingList(() => removeMessage(event.message_id));
      break;
    case "room.updated":
      applyRoom(event.room);
      break;
    case "participant.updated":
      applyParticipant(event.participant);
      break;
    case "report.created":
    case "report.resolved":
      if (isModerator) reportsRefresh();
      break;
  }
  updateListChrome();
}

// Frames carry the public room; the moderator-only keys from the page stay.
function applyRoom(room) {
  state.room = { ...state.room, ...room };
  elements.topic.textContent = state.room.topic ?? "";
  elements.topic.hidden = !state.room.topic;
  closingSchedule();
  updateDock();
  if (isModerator) toolsShowRoom();
}

function applyParticipant(participant) {
  if (state.me?.id != null && participant.id === state.me.id) {
    state.me = { ...state.me, ...participant };
    updateDock();
  }
  if (isModerator) participantsApply(participant);
}

const watchClosing = closingWatch(() => applyRoom({ is_open: false }));

function closingSchedule() {
  watchClosing(state.gone ? null : state.room);
}

const stream = new RoomStream({
  roomName,
  api,
  reload: reloadHistory,
  apply: applyEvent,
  onHello: applyRoom,
  onStatus(name, notice) {
    elements.scroller.dataset.stream = name;
    // Ends are told in the dock, where people look for why they can't post.
    const transient = name === "connecting" || name === "live" || name === "reconnecting";
    elements.notice.hidden = !transient || !notice;
    if (notice) elements.notice.textContent = notice;
  },
  onEnd(reason) {
    if (reason === "locked") lockOut(LOCKED_REASON);
    else roomGone(reason);
  },
});

// A room is often deleted or locked because of what was said in it: that
// must not stay on the screens of people who may no longer read it.
function historyForget() {
  for (const item of rendered.values()) item.remove();
  rendered.clear();
  state.historyLoaded = false;
  state.hasOlder = false;
  state.historyGeneration += 1;
  stream.forgetHistory();
  updateListChrome();
}

function roomGone(reason) {
  state.gone = reason;
  closingSchedule();
  elements.deleted.textContent = reason === "deleted" ? "This room was deleted." : "This room no longer exists.";
  for (const post of pendingPosts.values()) post.item.remove();
  pendingPosts.clear();
  historyForget();
  updateDock();
  document.getElementById("tools")?.setAttribute("inert", "");
}

// ---------------------------------------------------------------------------
// The dock: what this person can do right now, and why not.

function composerBlock() {
  if (state.gone) return "This room was deleted.";
  if (!state.room.is_open) return "This room is closed.";
  if (isModerator) return null;
  if (state.room.paused) return "The room is paused.";
  if (state.me?.muted) return "You are muted.";
  return null;
}

function updateDock() {
  const room = state.room;
  const joined = Boolean(state.me);
  const live = !state.gone;
  // Behind the password prompt, only the prompt matters.
  const inside = live && !state.locked;
  elements.deleted.hidden = live;
  elements.closed.hidden = !inside || room.is_open !== false;
  elements.paused.hidden = !inside || !room.is_open || !room.paused;
  elements.muted.hidden = !inside || !room.is_open || isModerator || !state.me?.muted;
  elements.unlockForm.hidden = !live || !state.locked;
  elements.joinForm.hidden = !inside || joined || !room.is_open;
  elements.composer.hidden = !inside || !joined;
  // Report buttons only make sense to someone in the room.
  document.body.dataset.joined = joined ? "true" : "false";

  const blocked = composerBlock();
  elements.text.disabled = Boolean(blocked);
  elements.text.placeholder = blocked ?? "Write a message…";
  elements.composer.dataset.blocked = blocked ? "true" : "false";
  const slow = !isModerator && room.slow_mode_seconds > 0;
  elements.slowModeHint.hidden = !slow;
  if (slow) elements.slowModeHint.textContent = `Slow mode: one message every ${room.slow_mode_seconds} s · `;
  if (joined) {
    elements.myNickname.textContent = state.me.nickname;
    elements.myAuthor.replaceChildren(...(state.me.color ? [colorMarker(state.me.color)] : []));
  }
  updateCounter();
}

function updateCounter() {
  const length = textLength(cleanText(elements.text.value));
  elements.counter.textContent = `${length}/${config.maxLength}`;
  elements.counter.classList.toggle("over", length > config.maxLength);
  elements.send.disabled = Boolean(composerBlock()) || length === 0 || length > config.maxLength;
}

// Messages rendered before this browser joined learn now which are its own.
function refreshOwnership() {
  for (const item of rendered.values()) {
    const mine = isMine({ participant_id: Number(item.dataset.participantId) });
    item.classList.toggle("mine", mine);
    const report = item.querySelector("[data-testid=report-message]");
    if (report) report.hidden = mine;
  }
}

// ---------------------------------------------------------------------------
// Joining, and coming back into a private room

function cleanText(raw) {
  return raw.replace(/\r\n/g, "\n").trim();
}

// Code points, as the server counts them: an emoji is one, not two.
function textLength(text) {
  return [...text].length;
}

function joined(participant) {
  state.me = participant;
  refreshOwnership();
  updateDock();
  elements.text.focus();
}

// The dock's forms: the button rests while `send` runs, and what `send`
// throws is shown in `errorBox`.
function onSubmit(form, errorBox, send) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    withDisabled(form.querySelector("button"), async () => {
      try {
        await send();
      } catch (error) {
        errorBox.textContent = error.message;
        errorBox.hidden = false;
      }
    });
  });
}

onSubmit(elements.joinForm, elements.joinError, async () => {
  try {
    // The answer also holds a bearer token; the browser ignores it and keeps
    // using its session cookie, so no secret lands in page storage.
    const answer = await api("POST", "/join", { nickname: elements.nickname.value });
    joined(answer.participant);
  } catch (error) {
    if (error.code !== "password_required") throw error;
    elements.unlockNickname.value = elements.nickname.value;
    lockOut(LOCKED_REASON);
  }
});

// The server no longer knows this browser as a participant (say, the password
// changed and then was removed): ask again for what the room now needs.
async function rejoinNeeded() {
  const nickname = state.me?.nickname ?? "";
  state.me = null;
  elements.nickname.value = nickname;
  elements.unlockNickname.value = nickname;
  updateDock();
  try {
    applyRoom(await api("GET", ""));
  } catch (error) {
    if (error.locksOut) lockOut(LOCKED_REASON);
  }
}

function lockOut(reason) {
  state.locked = true;
  if (reason) elements.unlockReason.textContent = reason;
  if (!elements.unlockNickname.value && state.me?.nickname) elements.unlockNickname.value = state.me.nickname;
  stream.stop("locked");
  historyForget();
  updateDock();
  (elements.unlockNickname.value ? elements.unlockPassword : elements.unlockNickname).focus();
}

onSubmit(elements.unlockForm, elements.unlockError, async () => {
  const answer = await api("POST", "/join", {
    nickname: elements.unlockNickname.value,
    password: elements.unlockPassword.value,
  });
  elements.unlockPassword.value = "";
  state.locked = false;
  // A page that never could read the room knows nothing of it yet.
  applyRoom(await api("GET", ""));
  joined(answer.participant);
  stream.start();
});

// ---------------------------------------------------------------------------
// Posting

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context; a classroom server on a LAN address may not be one.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function pendingItem(text) {
  const item = messageItem({ nickname: state.me.nickname, color: state.me.color, role, text });
  item.classList.add("mine");
  item.dataset.state = "pending";
  const status = testId(element("span", "post-status", "Sending…"), "post-status");
  item.querySelector(".message-meta").append(status);
  return item;
}

function postCreate(text) {
  const clientId = newClientId();
  const item = pendingItem(text);
  pendingPosts.set(clientId, { text, item });
  changingList(() => elements.list.append(item), { forceBottom: true });
  postSend(clientId);
}

async function postSend(clientId) {
  const post = pendingPosts.get(clientId);
  if (!post) return;
  postShowSending(post);
  let answer;
  try {
    answer = await api("POST", "/messages", { text: post.text, client_id: clientId });
  } catch (error) {
    learnFromRefusal(error);
    // The live frame may have confirmed the post while this request failed.
    if (pendingPosts.get(clientId) === post) postShowFailure(clientId, post, error);
    return;
  }
  // Taken by our own client_id: a post deleted meanwhile comes back without one.
  changingList(() => showMessage(answer.message, { mine: takePending(clientId) }));
}

// A refusal can be the first news of a change (the frame may still be on its
// way), so the dock catches up with it at once.
function learnFromRefusal(error) {
  if (error.code === "room_paused") applyRoom({ paused: true });
  else if (error.code === "room_closed") applyRoom({ is_open: false });
  else if (error.code === "muted" && state.me) applyParticipant({ ...state.me, muted: true });
  else if (error.locksOut) lockOut(LOCKED_REASON);
  else if (error.status === 401 && !isModerator) rejoinNeeded();
}

function postShowSending(post) {
  post.item.dataset.state = "pending";
  post.item.querySelector(".post-problem")?.remove();
  post.item.querySelector(".post-status").textContent = "Sending…";
}

function failureText(error) {
  const wait = error.details?.retry_after;
  if (error.code === "slow_mode" && wait) return `Slow mode is on: wait ${wait} s before posting again.`;
  return wait ? `${error.message} You can retry in ${wait} s.` : error.message;
}

// Why something done to a message failed, shown under it.
function problemBox(text) {
  const problem = element("div", "post-problem");
  problem.setAttribute("role", "alert");
  problem.append(testId(element("span", "error", text), "message-error"));
  return problem;
}

function postShowFailure(clientId, post, error) {
  post.item.dataset.state = "failed";
  post.item.dataset.error = error.code;
  post.item.querySelector(".post-status").textContent = "Not sent";
  const problem = problemBox(failureText(error));
  // Retrying resends the same client_id, so the server stores it at most once
  // even if an earlier attempt did arrive.
  const retry = button("Retry", { className: "small", id: "retry", onClick: () => postSend(clientId) });
  const edit = button("Edit", {
    id: "edit-failed",
    onClick: () => {
      pendingPosts.delete(clientId);
      changingList(() => post.item.remove());
      elements.text.value = post.text;
      updateCounter();
      elements.text.focus();
    },
  });
  problem.append(retry, edit);
  changingList(() => post.item.append(problem));
}

function submitComposer() {
  if (composerBlock()) return;
  const text = cleanText(elements.text.value);
  const length = textLength(text);
  if (length === 0 || length > config.maxLength) return;
  elements.text.value = "";
  updateCounter();
  postCreate(text);
}

elements.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  submitComposer();
});
elements.text.addEventListener("keydown", (event) => {
  // isComposing: Enter that confirms an IME candidate must not send.
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submitComposer();
  }
});
elements.text.addEventListener("input", updateCounter);

// ---------------------------------------------------------------------------
// Reporting a message (participants)

function reportFormOpen(item, message) {
  if (item.querySelector(".report-form")) return;
  const form = testId(element("form", "report-form"), "report-form");
  const label = element("label", "visually-hidden", "Why are you reporting this message? (optional)");
  const reason = testId(element("input"), "report-reason-input");
  reason.id = `report-reason-${message.id}`;
  label.htmlFor = reason.id;
  reason.maxLength = REASON_MAX;
  reason.placeholder = "Why? (optional)";
  const send = testId(element("button", "small", "Send report"), "report-send");
  send.type = "submit";
  const cancel = button("Cancel", { onClick: () => form.remove() });
  const problem = testId(element("span", "error"), "report-error");
  problem.setAttribute("role", "alert");
  problem.hidden = true;
  form.append(label, reason, send, cancel, problem);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    send.disabled = true;
    problem.hidden = true;
    const body = reason.value.trim() ? { reason: reason.value.trim() } : {};
    try {
      await api("POST", `/messages/${message.id}/report`, body);
      const done = testId(element("p", "hint reported", "Reported. A teacher will take a look."), "reported");
      done.setAttribute("role", "status");
      form.replaceWith(done);
      item.querySelector("[data-testid=report-message]")?.remove();
    } catch (error) {
      problem.textContent = error.message;
      problem.hidden = false;
      send.disabled = false;
    }
  });
  item.append(form);
  reason.focus();
}

// ---------------------------------------------------------------------------
// Deleting a message (moderators)

async function deleteMessage(id) {
  const item = rendered.get(id);
  if (!item) return;
  const remove = item.querySelector("[data-testid=delete-message]");
  item.dataset.state = "deleting";
  remove.disabled = true;
  try {
    await api("DELETE", `/messages/${id}`);
    changingList(() => removeMessage(id));
  } catch (error) {
    item.dataset.state = "confirmed";
    remove.disabled = false;
    item.querySelector(".post-problem")?.remove();
    item.append(problemBox(`Could not delete: ${error.message}`));
  }
}

// ---------------------------------------------------------------------------
// Teacher tools: room settings

const tools = isModerator
  ? {
      status: byId("room-status"),
      pause: byId("toggle-pause"),
      close: byId("toggle-closed"),
      topicForm: byId("topic-form"),
      topicInput: byId("topic-input"),
      slowForm: byId("slow-mode-form"),
      slowInput: byId("slow-mode-input"),
      passwordForm: byId("password-form"),
      passwordInput: byId("password-input"),
      passwordClear: byId("password-clear"),
      settingsError: byId("settings-error"),
      settingsSaved: byId("settings-saved"),
      showDeleted: byId("show-deleted"),
      reports: byId("reports"),
      reportCount: byId("report-count"),
      noReports: byId("no-reports"),
      reportsError: byId("reports-error"),
      participants: byId("participants"),
      participantCount: byId("participant-count"),
      noParticipants: byId("no-participants"),
      participantsError: byId("participants-error"),
      refreshParticipants: byId("refresh-participants"),
    }
  : null;

const closesAtFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function toolsShowRoom() {
  const room = state.room;
  const parts = [];
  if (room.is_open === false) parts.push("Closed");
  else if (room.paused) parts.push("Open, paused");
  else parts.push("Open");
  if (room.closes_at) {
    const when = closesAtFormat.format(new Date(room.closes_at));
    parts.push(room.is_open === false ? `closed ${when}` : `closes ${when}`);
  }
  parts.push(room.is_private ? "private (password)" : "public");
  if (room.slow_mode_seconds > 0) parts.push(`slow mode ${room.slow_mode_seconds} s`);
  tools.status.textContent = `${parts.join(" · ")}.`;
  tools.pause.textContent = room.paused ? "Resume room" : "Pause room";
  tools.pause.setAttribute("aria-pressed", room.paused ? "true" : "false");
  tools.close.textContent = room.is_open === false ? "Reopen room" : "Close room now";
  tools.passwordClear.hidden = !room.is_private;
  tools.passwordForm.querySelector("#password-set").textContent = room.is_private ? "Change" : "Set";
  // Don't overwrite what a teacher is in the middle of typing.
  if (document.activeElement !== tools.topicInput) tools.topicInput.value = room.topic ?? "";
  if (document.activeElement !== tools.slowInput) tools.slowInput.value = room.slow_mode_seconds ?? 0;
}

async function roomChange(changes, saved) {
  tools.settingsError.hidden = true;
  tools.settingsSaved.hidden = true;
  try {
    applyRoom(await api("PATCH", "", changes));
    tools.settingsSaved.textContent = saved;
    tools.settingsSaved.hidden = false;
    return true;
  } catch (error) {
    tools.settingsError.textContent = error.message;
    tools.settingsError.hidden = false;
    return false;
  }
}

// Runs `task` now, or once more after the run in flight: a burst of triggers
// costs one request in flight and at most one after it, and the last answer
// is never older than the last trigger.
function coalesced(task) {
  let running = null;
  let again = false;
  return function run() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await task();
      } while (again);
      running = null;
    })();
    return running;
  };
}

async function withDisabled(control, task) {
  control.disabled = true;
  try {
    return await task();
  } finally {
    control.disabled = false;
  }
}

function toolsRoomSetup() {
  tools.pause.addEventListener("click", () =>
    withDisabled(tools.pause, () =>
      roomChange({ paused: !state.room.paused }, state.room.paused ? "Room resumed." : "Room paused."),
    ),
  );
  tools.close.addEventListener("click", () => {
    const reopen = state.room.is_open === false;
    withDisabled(tools.close, () => roomChange({ closed: !reopen }, reopen ? "Room reopened." : "Room closed."));
  });
  tools.topicForm.addEventListener("submit", (event) => {
    event.preventDefault();
    roomChange({ topic: tools.topicInput.value }, "Topic saved.");
  });
  tools.slowForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const seconds = Number(tools.slowInput.value || 0);
    roomChange({ slow_mode_seconds: seconds }, seconds ? `Slow mode: ${seconds} s.` : "Slow mode off.");
  });
  tools.passwordForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await roomChange({ password: tools.passwordInput.value }, "Password set. The room is private.")) {
      tools.passwordInput.value = "";
    }
  });
  tools.passwordClear.addEventListener("click", () =>
    withDisabled(tools.passwordClear, () => roomChange({ password: null }, "The room is public again.")),
  );
  tools.showDeleted.addEventListener("change", () => {
    state.showDeleted = tools.showDeleted.checked;
    elements.list.classList.toggle("showing-deleted", state.showDeleted);
    stream.reloadHistory().catch((error) => console.warn("could not reload the history", error));
  });
}

// ---------------------------------------------------------------------------
// Teacher tools: reports

// Frames only say that reports changed, so the panel fetches them again.
const reportsRefresh = coalesced(async () => {
  try {
    const answer = await api("GET", "/reports?state=open");
    reportsShow(answer.reports);
    tools.reportsError.hidden = true;
  } catch (error) {
    tools.reportsError.textContent = `Could not load reports: ${error.message}`;
    tools.reportsError.hidden = false;
  }
});

function reportsShow(reports) {
  tools.reports.replaceChildren(...reports.map(reportItem));
  tools.reportCount.textContent = reports.length;
  tools.reportCount.classList.toggle("alert", reports.length > 0);
  tools.noReports.hidden = reports.length > 0;
}

function reportItem(report) {
  const item = testId(element("li", "report"), "report");
  item.dataset.id = report.id;
  const message = report.message ?? {};
  const quoted = element("blockquote", "reported-message");
  const author = element("div", "message-meta");
  author.append(authorLabel(message));
  if (message.created_at) author.append(timeElement(message.created_at));
  if (message.deleted) author.append(element("span", "deleted-note", "Deleted"));
  quoted.append(author, testId(element("p", "message-text", message.text ?? ""), "report-message-text"));
  const by = element("p", "report-by");
  by.append("Reported by ", colorMarker(report.reporter?.color));
  by.append(testId(element("strong", null, report.reporter?.nickname ?? "someone"), "report-reporter"));
  if (report.created_at) by.append(" ", timeElement(report.created_at));
  const reason = testId(
    element("p", report.reason ? "report-reason" : "report-reason hint", report.reason || "No reason given."),
    "report-reason",
  );
  const actions = element("div", "tool-buttons");
  actions.append(
    button("Delete message", {
      className: "small danger",
      id: "resolve-delete",
      onClick: () => reportResolve(item, report.id, "delete"),
    }),
    button("Dismiss", { id: "resolve-dismiss", onClick: () => reportResolve(item, report.id, "dismiss") }),
  );
  item.append(quoted, by, reason, actions);
  return item;
}

async function reportResolve(item, reportId, action) {
  for (const control of item.querySelectorAll("button")) control.disabled = true;
  try {
    await api("POST", `/reports/${reportId}/resolve`, { action });
    item.remove();
    tools.reportsError.hidden = true;
  } catch (error) {
    tools.reportsError.textContent = `Could not resolve the report: ${error.message}`;
    tools.reportsError.hidden = false;
    for (const control of item.querySelectorAll("button")) control.disabled = false;
  }
  reportsRefresh();
}

// ---------------------------------------------------------------------------
// Teacher tools: participants

const participantRows = new Map(); // participant id -> {participant, item}

const participantsLoad = coalesced(async () => {
  try {
    const answer = await api("GET", "/participants");
    participantRows.clear();
    tools.participants.replaceChildren();
    for (const participant of answer.participants) participantsApply(participant);
    tools.participantsError.hidden = true;
  } catch (error) {
    tools.participantsError.textContent = `Could not load participants: ${error.message}`;
    tools.participantsError.hidden = false;
  }
});

// Joining streams no event, so a post from someone unknown is the cue to look again.
function participantsNoticeAuthor(message) {
  const id = message.participant_id;
  if (id == null) return;
  const row = participantRows.get(id);
  if (!row) {
    participantsLoad();
    return;
  }
  if (!message.deleted && typeof row.participant.post_count === "number") {
    participantsApply({ ...row.participant, post_count: row.participant.post_count + 1 });
  }
}

function participantsApply(participant) {
  const known = participantRows.get(participant.id);
  const merged = { ...known?.participant, ...participant };
  const item = participantItem(merged);
  if (known) known.item.replaceWith(item);
  else tools.participants.append(item);
  participantRows.set(participant.id, { participant: merged, item });
  tools.participantCount.textContent = participantRows.size;
  tools.noParticipants.hidden = participantRows.size > 0;
}

function participantItem(participant) {
  const item = testId(element("li", "participant"), "participant");
  item.dataset.id = participant.id;
  item.dataset.muted = participant.muted ? "true" : "false";
  const who = element("div", "participant-who");
  who.append(colorMarker(participant.color));
  who.append(testId(element("span", "nickname", participant.nickname), "participant-nickname"));
  if (participant.muted) who.append(testId(element("span", "badge muted", "muted"), "participant-muted"));
  const details = element("div", "hint participant-details");
  const posts = participant.post_count ?? 0;
  details.append(testId(element("span", null, `${posts} post${posts === 1 ? "" : "s"}`), "participant-posts"));
  if (participant.joined_at) details.append(" · joined ", timeElement(participant.joined_at));
  const action = participant.muted ? "unmute" : "mute";
  const label = participant.muted ? "Unmute" : "Mute";
  const toggle = button(label, {
    className: participant.muted ? "small" : "small secondary",
    id: action,
    onClick: () => participantMute(participant.id, action, toggle),
  });
  toggle.setAttribute("aria-label", `${label} ${participant.nickname}`);
  item.append(who, toggle, details);
  return item;
}

async function participantMute(id, action, control) {
  control.disabled = true;
  try {
    const answer = await api("POST", `/participants/${id}/${action}`);
    participantsApply(answer.participant);
    tools.participantsError.hidden = true;
  } catch (error) {
    control.disabled = false;
    tools.participantsError.textContent = `Could not ${action}: ${error.message}`;
    tools.participantsError.hidden = false;
  }
}

// ---------------------------------------------------------------------------
// Teacher tools: co-moderators and deleting the room (owner only)

const ownerTools = isOwner
  ? {
      list: byId("moderators"),
      form: byId("moderator-form"),
      email: byId("moderator-email"),
      error: byId("moderators-error"),
      deleteRoom: byId("delete-room"),
      deleteError: byId("delete-error"),
    }
  : null;

function moderatorsShow(moderators) {
  ownerTools.list.replaceChildren(
    ...moderators.map(({ email }) => {
      const item = testId(element("li", "moderator"), "moderator");
      item.append(testId(element("span", "moderator-email", email), "moderator-email-text"));
      const remove = button("Remove", { id: "remove-moderator", onClick: () => moderatorRemove(email, remove) });
      remove.setAttribute("aria-label", `Remove ${email} as co-moderator`);
      item.append(remove);
      return item;
    }),
  );
  if (!moderators.length) ownerTools.list.append(element("li", "hint", "None yet."));
}

async function moderatorsLoad() {
  try {
    moderatorsShow((await api("GET", "/moderators")).moderators);
  } catch (error) {
    moderatorsFailed(error);
  }
}

function moderatorsFailed(error) {
  ownerTools.error.textContent = error.message;
  ownerTools.error.hidden = false;
}

async function moderatorRemove(email, control) {
  control.disabled = true;
  ownerTools.error.hidden = true;
  try {
    await api("DELETE", `/moderators/${encodeURIComponent(email)}`);
    await moderatorsLoad();
  } catch (error) {
    control.disabled = false;
    moderatorsFailed(error);
  }
}

function ownerToolsSetup() {
  ownerTools.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    ownerTools.error.hidden = true;
    try {
      await api("POST", "/moderators", { email: ownerTools.email.value });
      ownerTools.email.value = "";
      await moderatorsLoad();
    } catch (error) {
      moderatorsFailed(error);
    }
  });
  ownerTools.deleteRoom.addEventListener("click", async () => {
    // A native dialog: deleting can't be undone, so it gets a real interruption.
    if (!window.confirm(`Delete “${roomName}” and all its messages? This can’t be undone.`)) return;
    ownerTools.deleteRoom.disabled = true;
    ownerTools.deleteError.hidden = true;
    try {
      await api("DELETE", "");
      roomGone("deleted");
      stream.stop("deleted");
      window.location.assign(config.dashboardUrl);
    } catch (error) {
      ownerTools.deleteRoom.disabled = false;
      ownerTools.deleteError.textContent = error.message;
      ownerTools.deleteError.hidden = false;
    }
  });
}

// ---------------------------------------------------------------------------
// Sharing

elements.copyUrl.addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(config.room.url);
    elements.copyUrl.textContent = "Copied";
  } catch {
    // No clipboard outside a secure context: select the link so it can be copied by hand.
    const range = document.createRange();
    range.selectNodeContents(elements.roomUrl);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
  }
});

// ---------------------------------------------------------------------------
// Start

if (state.locked) elements.unlockNickname.value = config.rememberedNickname ?? state.me?.nickname ?? "";
closingSchedule();
updateDock();
updateListChrome();
if (isModerator) {
  toolsRoomSetup();
  toolsShowRoom();
  tools.refreshParticipants.addEventListener("click", participantsLoad);
  participantsLoad();
  reportsRefresh();
}
if (isOwner) {
  ownerToolsSetup();
  moderatorsLoad();
}
if (state.locked) {
  elements.scroller.dataset.stream = "locked";
  (elements.unlockNickname.value ? elements.unlockPassword : elements.unlockNickname).focus();
} else {
  stream.start();
}
