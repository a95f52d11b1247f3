// The room page: history, the live stream and the composer.
//
// Connecting, resuming and ordering events live in stream.js; this module
// renders what it is handed and sends what people type. The room as last
// seen (`state.room`) decides what the dock offers: joining, posting, or a
// notice saying why not. The teacher tools beside the conversation (the
// review queue, pinning, the room's settings) live in moderator.js, which
// only a moderator's page loads.
//
// Q&A: each message has an upvote button; "Top" shows the most upvoted
// first and re-sorts as votes come in; the pinned message stays above the
// list; answered ones are marked and can be hidden. A post the teacher must
// review first waits, visible only to its author, as "Waiting for the teacher".
//
// Text for people goes through gettext() and friends, which /jsi18n/ (loaded
// before this module) defines in the page's language.

import {
  authorLabel,
  button,
  colorMarker,
  element,
  onSubmit,
  shownNickname,
  testId,
  timeElement,
} from "./dom.js";
import { RoomStream, closingWatch, roomApi } from "./stream.js";

const config = JSON.parse(document.getElementById("room-config").textContent);
const roomName = config.room.name;
const api = roomApi(roomName);
const role = config.role;
const isModerator = role === "owner" || role === "moderator";
const PAGE_SIZE = 50;
// Closer than this to an edge of the list counts as being at it.
const EDGE_SLACK_PX = 120;
const REASON_MAX = 200;
// How long "Undo" stays offered after a delete.
const UNDO_MS = 10_000;
// Failures that say nothing about the post itself: no server took it. The
// post is sent again, by itself, once the stream is back.
const UNSENT_STATUSES = new Set([0, 500, 502, 503, 504]);
// Said when a room this page could read asks for a password, new or changed.
const LOCKED_REASON = gettext("This room now needs a password. Type the one your teacher gave you.");

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
  removed: byId("removed-notice"),
  joiningLocked: byId("joining-locked-notice"),
  unlockForm: byId("unlock-form"),
  unlockReason: document.querySelector("[data-testid=unlock-reason]"),
  unlockNickname: byId("unlock-nickname"),
  unlockPassword: byId("unlock-password"),
  unlockError: document.querySelector("[data-testid=unlock-error]"),
  joinForm: byId("join-form"),
  nickname: byId("nickname"),
  joinError: document.querySelector("[data-testid=join-error]"),
  useSuggestion: byId("use-suggestion"),
  composer: byId("composer"),
  text: byId("message-text"),
  counter: byId("char-counter"),
  send: document.querySelector("[data-testid=send]"),
  myAuthor: byId("my-author"),
  myNickname: document.querySelector("[data-testid=my-nickname]"),
  slowModeHint: byId("slow-mode-hint"),
  anonymousHint: byId("anonymous-hint"),
  reviewHint: byId("review-hint"),
  pinned: byId("pinned"),
  orderNewest: byId("order-newest"),
  orderTop: byId("order-top"),
  hideAnswered: byId("hide-answered"),
  outbox: byId("outbox"),
  newMessages: byId("new-messages"),
  slowWait: byId("slow-mode-wait"),
  undoBar: byId("undo-delete-bar"),
  undo: byId("undo-delete"),
};

const state = {
  room: config.room,
  me: config.me,
  // The room is private and this browser hasn't (or no longer has) its password.
  locked: config.locked,
  // A teacher removed the participant this browser joined as.
  removed: config.removed,
  // "deleted" or "missing" once the room is gone for good.
  gone: null,
  showDeleted: false,
  historyLoaded: false,
  // Bumped by every full reload, so an older page fetched before it is dropped.
  historyGeneration: 0,
  oldestSeq: null,
  hasOlder: false,
  loadingOlder: false,
  // "newest" (by seq, with infinite scroll back) or "top" (most upvoted first).
  order: "newest",
  // The pinned message as last seen, or null.
  pinned: null,
  // Message ids this reader upvoted.
  upvoted: new Set(),
  // Slow mode: when (this device's clock) this participant last posted
  // while it was on, and until when the server holds their next post.
  postedAt: null,
  slowUntil: 0,
  // Messages that arrived while the reader was scrolled up.
  unseen: 0,
  // Ids of messages with an open report (moderators).
  reported: new Set(),
};
const rendered = new Map(); // message id -> <li>
// Deleted ids come back only with a message.restored (or a restore's answer);
// remembering them stops a late POST answer or an older history page from
// resurrecting one.
const deletedIds = new Set();
// Posts not yet confirmed, shown in the outbox by the composer: client_id -> {text, item, error}
const pendingPosts = new Map();
// This participant's posts waiting for the teacher: message id -> <li>.
const heldPosts = new Map();
// What moderator.js answers once it has started (moderators only).
let moderatorTools = null;

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
  if (message.anonymous && isModerator) {
    meta.append(testId(element("span", "badge", gettext("anonymous to the class")), "anonymous-badge"));
  }
  meta.append(testId(element("span", "badge answered-badge", gettext("Answered")), "answered-badge"));
  if (message.masked_text) {
    const masked = interpolate(gettext("The class reads: %(text)s"), { text: message.masked_text }, true);
    item.append(testId(element("p", "hint masked-note", masked), "masked-note"));
  }
  item.prepend(upvoteButton(message));
  markQuestion(item, message);
  const actions = element("span", "message-actions");
  if (isModerator) {
    actions.append(...(moderatorTools?.messageActions(message) ?? []));
    const remove = button(gettext("Delete"), {
      className: "delete small secondary",
      id: "delete-message",
      onClick: () => deleteMessage(message.id),
    });
    const author = { nickname: message.nickname };
    remove.setAttribute("aria-label", interpolate(gettext("Delete message from %(nickname)s"), author, true));
    actions.append(remove);
  } else if (!isTeacherPost(message)) {
    // Teachers' messages can't be reported: the teachers are whom reports go to.
    const report = button(gettext("Report"), {
      className: "report small secondary",
      id: "report-message",
      onClick: () => reportFormOpen(item, message),
    });
    const author = { nickname: shownNickname(message) };
    report.setAttribute("aria-label", interpolate(gettext("Report message from %(nickname)s"), author, true));
    report.hidden = item.classList.contains("mine");
    actions.append(report);
  }
  meta.append(actions);
  if (isModerator) markReported(item, state.reported.has(message.id));
  return item;
}

function isTeacherPost(message) {
  return message.role === "owner" || message.role === "moderator";
}

function markReported(item, reported) {
  item.classList.toggle("reported", reported);
  let badge = item.querySelector("[data-testid=reported-badge]");
  if (reported && !badge) {
    badge = testId(element("span", "badge reported-badge", gettext("Reported")), "reported-badge");
    item.querySelector(".message-meta .author")?.after(badge);
  } else if (!reported) {
    badge?.remove();
  }
}

// The messages with an open report, as the teacher tools last read them.
function reportedSet(ids) {
  state.reported = new Set(ids);
  for (const [id, item] of rendered) {
    if (item.dataset.state === "confirmed") markReported(item, state.reported.has(id));
  }
}

// The upvote button with its count. Anyone who joined may press it; a
// visitor sees the count.
function upvoteButton(message) {
  const vote = testId(element("button", "upvote"), "upvote");
  vote.type = "button";
  vote.append(element("span", "upvote-arrow", "▲"), testId(element("span", "upvote-count"), "upvote-count"));
  vote.addEventListener("click", () => upvoteToggle(message.id, vote));
  showUpvotes(vote, message.upvotes ?? 0, state.upvoted.has(message.id));
  return vote;
}

function showUpvotes(vote, count, upvoted) {
  vote.querySelector(".upvote-count").textContent = count;
  vote.setAttribute("aria-pressed", upvoted ? "true" : "false");
  const label = upvoted ? gettext("Take back your upvote (%(count)s)") : gettext("Upvote (%(count)s)");
  vote.setAttribute("aria-label", interpolate(label, { count }, true));
  vote.closest(".message")?.setAttribute("data-upvotes", count);
}

// What pinning and answering change on a row, from the message as it is now.
function markQuestion(item, message) {
  item.dataset.upvotes = message.upvotes ?? 0;
  item.dataset.answered = message.answered ? "true" : "false";
  item.classList.toggle("answered", Boolean(message.answered));
  item.classList.toggle("pinned", Boolean(message.pinned));
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
  const note = testId(element("span", "deleted-note", gettext("Deleted")), "deleted-note");
  if (deletedBy) note.textContent = interpolate(gettext("Deleted by %(name)s"), { name: deletedBy }, true);
  if (deletedAt) note.title = new Date(deletedAt).toLocaleString();
  item.querySelector(".message-meta").append(note);
  if (isModerator && item.dataset.id) {
    const id = Number(item.dataset.id);
    const restore = button(gettext("Restore"), {
      className: "small secondary",
      id: "restore-message",
      onClick: () => restoreMessage(id, restore),
    });
    item.querySelector(".message-meta").append(restore);
  }
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
  if (follow) scrollToNewest();
  updateListChrome();
}

function scrollToNewest() {
  elements.scroller.scrollTop = elements.scroller.scrollHeight;
  state.unseen = 0;
  elements.newMessages.hidden = true;
}

// A message arrived below a reader who scrolled up: counted on a pill that takes them down.
function noteUnseen() {
  if (nearBottom() || state.order !== "newest") return;
  state.unseen += 1;
  elements.newMessages.textContent = interpolate(
    ngettext("%(count)s new message", "%(count)s new messages", state.unseen),
    { count: state.unseen },
    true,
  );
  elements.newMessages.hidden = false;
}

function updateListChrome() {
  const hasAny = rendered.size > 0 || pendingPosts.size > 0;
  elements.empty.hidden = !state.historyLoaded || hasAny;
  elements.loadOlder.hidden = !state.hasOlder;
  elements.historyStart.hidden = !state.historyLoaded || state.hasOlder || !hasAny;
  elements.list.dataset.lastSeq = stream.lastSeq;
}

// Confirmed messages stay in seq order (or, in Top, by upvotes then newest),
// above any posts still pending or held.
function placeConfirmed(item, seq) {
  if (state.order === "top") {
    placeByVotes(item);
    return;
  }
  let before = elements.list.querySelector(
    ":scope > [data-state=pending], :scope > [data-state=failed], :scope > [data-state=held]",
  );
  let node = before ? before.previousElementSibling : elements.list.lastElementChild;
  while (node && Number(node.dataset.seq) > seq) {
    before = node;
    node = node.previousElementSibling;
  }
  elements.list.insertBefore(item, before);
}

function outranks(a, b) {
  const votes = Number(a.dataset.upvotes) - Number(b.dataset.upvotes);
  return votes > 0 || (votes === 0 && Number(a.dataset.seq) > Number(b.dataset.seq));
}

function placeByVotes(item) {
  item.remove();
  let before = null;
  for (const node of elements.list.querySelectorAll(":scope > [data-state=confirmed], :scope > [data-state=deleted]")) {
    if (outranks(item, node)) {
      before = node;
      break;
    }
  }
  before ??= elements.list.querySelector(
    ":scope > [data-state=pending], :scope > [data-state=failed], :scope > [data-state=held]",
  );
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
  const wasHeld = takeHeld(message.id);
  const wasMine = takePending(message.client_id) || wasHeld || mine;
  const item = newItem(message, { mine: wasMine });
  if (item) placeConfirmed(item, message.seq);
}

// A message changed (pinned, answered): its row and the pinned place follow.
function updateMessage(message) {
  if (message.deleted) {
    removeMessage(message.id);
    return;
  }
  const item = rendered.get(message.id);
  if (item) {
    markQuestion(item, message);
    if (state.order === "top") placeByVotes(item);
  }
  if (message.pinned) showPinned(message);
  else if (state.pinned?.id === message.id) showPinned(null);
}

function applyVotes(votes) {
  for (const { message_id: id, upvotes } of votes) {
    const item = rendered.get(id);
    if (!item) continue;
    showUpvotes(item.querySelector("[data-testid=upvote]"), upvotes, state.upvoted.has(id));
    if (state.order === "top") placeByVotes(item);
  }
  if (state.pinned) {
    const vote = votes.find(({ message_id: id }) => id === state.pinned.id);
    if (vote) showPinned({ ...state.pinned, upvotes: vote.upvotes });
  }
}

function showPinned(message) {
  state.pinned = message;
  elements.pinned.replaceChildren();
  elements.pinned.hidden = !message;
  if (!message) return;
  const label = element("p", "pinned-label", gettext("Pinned by the teacher"));
  const item = testId(messageItem(message), "pinned-message");
  item.querySelector(".message-meta").append(timeElement(message.created_at));
  // The row is an <li>, as in the conversation; outside a list it means nothing to a screen reader.
  const list = element("ol", "messages");
  list.append(item);
  elements.pinned.append(label, list);
}

// A deleted message is back (an undo): it returns to its place by seq. A
// replay after it was deleted again carries it deleted, and it stays away.
function showRestored(message) {
  if (message.deleted) {
    removeMessage(message.id);
    return;
  }
  deletedIds.delete(message.id);
  const shown = rendered.get(message.id);
  if (shown?.dataset.state === "deleted") {
    rendered.delete(message.id);
    shown.remove();
  }
  const item = newItem(message, { mine: false });
  if (item) placeConfirmed(item, message.seq);
}

function removeMessage(id) {
  if (state.pinned?.id === id) showPinned(null);
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
  if (state.order === "top") params.set("order", "top");
  return `/messages?${params}`;
}

// Remember which of these messages this reader upvoted (HTTP answers say; frames don't).
function learnUpvoted(messages) {
  for (const message of messages) {
    if (message.upvoted === true) state.upvoted.add(message.id);
    else if (message.upvoted === false) state.upvoted.delete(message.id);
  }
}

async function reloadHistory() {
  const page = await api("GET", historyQuery({}));
  learnUpvoted(page.pinned ? [...page.messages, page.pinned] : page.messages);
  // Only where a post can wait (or waited): most rooms never hold one.
  const reviewing = state.room.review || state.room.word_filter === "hold" || heldPosts.size > 0;
  if (state.me && !isModerator && reviewing) await reloadHeld();
  state.historyGeneration += 1;
  changingList(
    () => {
      for (const item of rendered.values()) item.remove();
      rendered.clear();
      for (const message of page.messages) showMessage(message);
      state.oldestSeq = page.messages.length ? page.messages[0].seq : null;
      // Top is one page: the most upvoted, without scrolling further back.
      state.hasOlder = state.order === "newest" && page.has_more;
      state.historyLoaded = true;
    },
    { forceBottom: state.order === "newest" },
  );
  showPinned(page.pinned);
  fillScreen();
  return page.seq;
}

async function loadOlder() {
  if (state.loadingOlder || !state.hasOlder || state.oldestSeq === null || state.order === "top") return;
  state.loadingOlder = true;
  elements.loadOlder.disabled = true;
  const generation = state.historyGeneration;
  try {
    const page = await api("GET", historyQuery({ before: state.oldestSeq }));
    if (generation !== state.historyGeneration) return;
    learnUpvoted(page.messages);
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

function scrolled() {
  if (elements.scroller.scrollTop < EDGE_SLACK_PX) loadOlder();
  if (state.unseen && nearBottom()) {
    state.unseen = 0;
    elements.newMessages.hidden = true;
  }
}

// Moderators may show deleted messages as evidence: the history is read
// again, with them.
function showDeletedSet(show) {
  state.showDeleted = show;
  elements.list.classList.toggle("showing-deleted", show);
  stream.reloadHistory().catch((error) => console.warn("could not reload the history", error));
}

function orderSet(order) {
  if (state.order === order) return;
  state.order = order;
  elements.orderNewest.setAttribute("aria-pressed", order === "newest" ? "true" : "false");
  elements.orderTop.setAttribute("aria-pressed", order === "top" ? "true" : "false");
  elements.list.dataset.order = order;
  stream.reloadHistory().catch((error) => console.warn("could not reload the history", error));
}

function hideAnsweredSet(hide) {
  elements.list.classList.toggle("hiding-answered", hide);
}

// ---------------------------------------------------------------------------
// Events

function applyEvent(event) {
  switch (event.type) {
    case "message.created": {
      const known = rendered.has(event.message.id) || pendingPosts.has(event.message.client_id);
      changingList(() => showMessage(event.message));
      if (!known && !event.message.deleted) noteUnseen();
      moderatorTools?.messageArrived(event.message);
      break;
    }
    case "message.restored":
      changingList(() => showRestored(event.message));
      break;
    case "message.deleted":
      changingList(() => removeMessage(event.message_id));
      break;
    case "message.updated":
      changingList(() => updateMessage(event.message));
      break;
    case "message.votes":
      applyVotes(event.votes);
      break;
    case "message.held":
      // A moderator's queue, or this participant's own post.
      if (isModerator) moderatorTools?.messageHeld(event.message);
      else if (event.message.status === "held") {
        // This page's own post, whose answer may still be on its way: it leaves the outbox.
        changingList(() => {
          takePending(event.message.client_id);
          showHeld(event.message);
        });
      }
      break;
    case "message.rejected":
      if (isModerator) moderatorTools?.messageRejected(event.message_id);
      else changingList(() => showRejected(event.message_id));
      break;
    case "room.updated":
      applyRoom(event.room);
      break;
    case "participant.updated":
      applyParticipant(event.participant);
      break;
    case "report.created":
    case "report.resolved":
      moderatorTools?.reportsChanged();
      break;
  }
  updateListChrome();
}

// ---------------------------------------------------------------------------
// This participant's posts in the review queue

function heldItem(message) {
  const item = testId(element("li", "message mine held"), "message");
  item.dataset.id = message.id;
  item.dataset.state = "held";
  const meta = element("div", "message-meta");
  const status = testId(element("span", "post-status", gettext("Waiting for the teacher")), "post-status");
  meta.append(authorLabel(message), status);
  item.append(meta, testId(element("p", "message-text", message.text), "message-text"));
  return item;
}

function showHeld(message) {
  if (heldPosts.has(message.id) || rendered.has(message.id)) return;
  const item = heldItem(message);
  heldPosts.set(message.id, item);
  elements.list.append(item);
}

function takeHeld(id) {
  const item = heldPosts.get(id);
  if (!item) return false;
  heldPosts.delete(id);
  item.remove();
  return true;
}

function showRejected(id) {
  const item = heldPosts.get(id);
  if (!item) return;
  item.dataset.state = "rejected";
  item.querySelector(".post-status").textContent = gettext("The teacher did not publish this");
}

async function reloadHeld() {
  const page = await api("GET", "/messages?status=held");
  for (const item of heldPosts.values()) item.remove();
  heldPosts.clear();
  for (const message of page.messages) showHeld(message);
}

// Frames carry the public room; the moderator-only keys from the page stay.
function applyRoom(room) {
  const slowBefore = state.room.slow_mode_seconds;
  state.room = { ...state.room, ...room };
  slowModeChanged(slowBefore, state.room.slow_mode_seconds);
  elements.topic.textContent = state.room.topic ?? "";
  elements.topic.hidden = !state.room.topic;
  closingSchedule();
  updateDock();
  moderatorTools?.roomChanged(state.room);
}

function applyParticipant(participant) {
  if (state.me?.id != null && participant.id === state.me.id) {
    state.me = { ...state.me, ...participant };
    if (participant.removed) removedHere();
    else updateDock();
  }
  moderatorTools?.participantChanged(participant);
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
    if (name === "live") unsentRetry();
  },
  onEnd(reason) {
    // A teacher's page losing its access (signed out, or no longer a
    // co-moderator) is no longer a teacher's page: the server draws the right one.
    if (reason === "locked" && isModerator) window.location.reload();
    else if (reason === "locked") lockOut(LOCKED_REASON);
    else if (reason === "removed") removedHere();
    else roomGone(reason);
  },
});

// A room is often deleted or locked because of what was said in it: that
// must not stay on the screens of people who may no longer read it.
function historyForget() {
  for (const item of [...rendered.values(), ...heldPosts.values()]) item.remove();
  rendered.clear();
  heldPosts.clear();
  showPinned(null);
  state.historyLoaded = false;
  state.hasOlder = false;
  state.historyGeneration += 1;
  stream.forgetHistory();
  updateListChrome();
}

function roomGone(reason) {
  state.gone = reason;
  closingSchedule();
  elements.deleted.textContent =
    reason === "deleted" ? gettext("This room was deleted.") : gettext("This room no longer exists.");
  for (const post of pendingPosts.values()) post.item.remove();
  pendingPosts.clear();
  historyForget();
  updateDock();
  document.getElementById("tools")?.setAttribute("inert", "");
}

// A teacher removed this participant: they may read a public room (anyone
// may), but not take part; a private one they may no longer read at all.
function removedHere() {
  state.removed = true;
  state.me = null;
  stream.stop("removed");
  for (const post of pendingPosts.values()) post.item.remove();
  pendingPosts.clear();
  if (state.room.is_private) historyForget();
  updateDock();
}

// The owner deleted the room from this page: no need to wait for the socket to say so.
function roomDeletedHere() {
  roomGone("deleted");
  stream.stop("deleted");
}

// ---------------------------------------------------------------------------
// The dock: what this person can do right now, and why not.

function composerBlock() {
  if (state.gone) return gettext("This room was deleted.");
  if (!state.room.is_open) return gettext("This room is closed.");
  if (isModerator) return null;
  if (state.room.paused) return gettext("The room is paused.");
  if (state.me?.muted) return gettext("You are muted.");
  return null;
}

function updateDock() {
  const room = state.room;
  const joined = Boolean(state.me);
  const live = !state.gone;
  // Behind the password prompt, or once removed, only that notice matters.
  const inside = live && !state.locked && !state.removed;
  elements.deleted.hidden = live;
  elements.closed.hidden = !inside || room.is_open !== false;
  elements.paused.hidden = !inside || !room.is_open || !room.paused;
  elements.muted.hidden = !inside || !room.is_open || isModerator || !state.me?.muted;
  elements.removed.hidden = !live || !state.removed;
  elements.unlockForm.hidden = !live || !state.locked || state.removed;
  elements.joinForm.hidden = !inside || joined || !room.is_open || room.joining_locked;
  elements.joiningLocked.hidden = !inside || joined || !room.is_open || !room.joining_locked;
  elements.composer.hidden = !inside || !joined;
  // Report buttons only make sense to someone in the room.
  document.body.dataset.joined = joined ? "true" : "false";

  const blocked = composerBlock();
  elements.text.disabled = Boolean(blocked);
  elements.text.placeholder = blocked ?? gettext("Write a message…");
  elements.composer.dataset.blocked = blocked ? "true" : "false";
  elements.anonymousHint.hidden = !room.anonymous || isModerator;
  elements.reviewHint.hidden = !room.review || isModerator;
  const slow = !isModerator && room.slow_mode_seconds > 0;
  elements.slowModeHint.hidden = !slow;
  if (slow) {
    const every = gettext("Slow mode: one message every %(seconds)s s");
    elements.slowModeHint.textContent = `${interpolate(every, { seconds: room.slow_mode_seconds }, true)} · `;
  }
  if (joined) {
    elements.myNickname.textContent = state.me.nickname;
    elements.myAuthor.replaceChildren(...(state.me.color ? [colorMarker(state.me.color, state.me.nickname)] : []));
  }
  updateCounter();
}

function updateCounter() {
  const length = textLength(cleanText(elements.text.value));
  elements.counter.textContent = `${length}/${config.maxLength}`;
  elements.counter.classList.toggle("over", length > config.maxLength);
  elements.send.disabled =
    Boolean(composerBlock()) || slowModeLeft() > 0 || length === 0 || length > config.maxLength;
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
  stream.reconnect();
  elements.text.focus();
}

async function joinSend() {
  elements.useSuggestion.hidden = true;
  try {
    // The answer also holds a bearer token; the browser ignores it and keeps
    // using its session cookie, so no secret lands in page storage.
    const answer = await api("POST", "/join", { nickname: elements.nickname.value }, { resend: true });
    joined(answer.participant);
  } catch (error) {
    if (error.code === "nickname_taken" && error.details?.suggestion) throw nicknameTaken(error.details.suggestion);
    if (error.code === "removed") return removedHere();
    if (error.code === "joining_locked") applyRoom({ joining_locked: true });
    if (error.code !== "password_required") throw error;
    elements.unlockNickname.value = elements.nickname.value;
    lockOut(LOCKED_REASON);
  }
}

// Someone in the room goes by that nickname: offer the free one the server suggested.
function nicknameTaken(suggestion) {
  elements.useSuggestion.textContent = interpolate(gettext("Use “%(nickname)s”"), { nickname: suggestion }, true);
  elements.useSuggestion.dataset.nickname = suggestion;
  elements.useSuggestion.hidden = false;
  return new Error(interpolate(gettext("Nickname taken — use “%(nickname)s”?"), { nickname: suggestion }, true));
}

function suggestionUse() {
  elements.nickname.value = elements.useSuggestion.dataset.nickname;
  elements.joinForm.requestSubmit();
}

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

async function unlockSend() {
  const answer = await api(
    "POST",
    "/join",
    { nickname: elements.unlockNickname.value, password: elements.unlockPassword.value },
    { resend: true },
  );
  elements.unlockPassword.value = "";
  state.locked = false;
  // A page that never could read the room knows nothing of it yet.
  applyRoom(await api("GET", ""));
  joined(answer.participant);
  stream.start();
}

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
  const status = testId(element("span", "post-status", gettext("Sending…")), "post-status");
  item.querySelector(".message-meta").append(status);
  return item;
}

// An unconfirmed post waits in the outbox by the composer, never in the
// history, where newer messages would pile up above it.
function postCreate(text) {
  const clientId = newClientId();
  const item = pendingItem(text);
  pendingPosts.set(clientId, { text, item, error: null });
  elements.outbox.append(item);
  changingList(() => {}, { forceBottom: true });
  postSend(clientId);
}

// The stream is back: posts that failed because no server took them go
// again, by themselves, with their client_id (a post is stored at most once).
function unsentRetry() {
  for (const [clientId, post] of pendingPosts) {
    if (post.item.dataset.state === "failed" && UNSENT_STATUSES.has(post.error?.status)) postSend(clientId);
  }
}

async function postSend(clientId) {
  const post = pendingPosts.get(clientId);
  if (!post) return;
  postShowSending(post);
  post.error = null;
  let answer;
  try {
    // Sent again by itself if no server answered (a restart), then "Not sent" and a Retry button.
    answer = await api("POST", "/messages", { text: post.text, client_id: clientId }, { resend: true });
  } catch (error) {
    learnFromRefusal(error);
    // The live frame may have confirmed the post while this request failed.
    if (pendingPosts.get(clientId) === post) postShowFailure(clientId, post, error);
    return;
  }
  slowModePosted();
  if (answer.message.status === "held" || answer.message.status === "rejected") {
    takePending(clientId);
    changingList(() => {
      showHeld(answer.message);
      if (answer.message.status === "rejected") showRejected(answer.message.id);
    });
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
  else if (error.code === "removed") removedHere();
  else if (error.status === 401 && !isModerator) rejoinNeeded();
  else if (error.code === "slow_mode" && error.details?.retry_after) slowModeHold(error.details.retry_after);
}

function postShowSending(post) {
  post.item.dataset.state = "pending";
  post.item.querySelector(".post-problem")?.remove();
  post.item.querySelector(".post-status").textContent = gettext("Sending…");
}

function failureText(error) {
  const wait = error.details?.retry_after;
  if (error.code === "slow_mode" && wait) {
    return interpolate(gettext("Slow mode is on: wait %(seconds)s s before posting again."), { seconds: wait }, true);
  }
  if (!wait) return error.message;
  return `${error.message} ${interpolate(gettext("You can retry in %(seconds)s s."), { seconds: wait }, true)}`;
}

// Why something done to a message failed, shown under it.
function problemBox(text) {
  const problem = element("div", "post-problem");
  problem.setAttribute("role", "alert");
  problem.append(testId(element("span", "error", text), "message-error"));
  return problem;
}

function postShowFailure(clientId, post, error) {
  post.error = error;
  post.item.dataset.state = "failed";
  post.item.dataset.error = error.code;
  post.item.querySelector(".post-status").textContent = gettext("Not sent");
  const problem = problemBox(failureText(error));
  // Retrying resends the same client_id, so the server stores it at most once
  // even if an earlier attempt did arrive.
  const retry = button(gettext("Retry"), { className: "small", id: "retry", onClick: () => postSend(clientId) });
  const edit = button(gettext("Edit"), {
    id: "edit-failed",
    onClick: () => {
      pendingPosts.delete(clientId);
      post.item.remove();
      updateListChrome();
      elements.text.value = post.text;
      updateCounter();
      elements.text.focus();
    },
  });
  problem.append(retry, edit);
  post.item.append(problem);
}

function submitComposer() {
  if (composerBlock() || slowModeLeft() > 0) return;
  const text = cleanText(elements.text.value);
  const length = textLength(text);
  if (length === 0 || length > config.maxLength) return;
  elements.text.value = "";
  updateCounter();
  postCreate(text);
}

function composerKeydown(event) {
  // isComposing: Enter that confirms an IME candidate must not send.
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submitComposer();
  }
}

// ---------------------------------------------------------------------------
// Reporting a message (participants)

function reportFormOpen(item, message) {
  if (item.querySelector(".report-form")) return;
  const form = testId(element("form", "report-form"), "report-form");
  const label = element("label", "visually-hidden", gettext("Why are you reporting this message? (optional)"));
  const reason = testId(element("input"), "report-reason-input");
  reason.id = `report-reason-${message.id}`;
  label.htmlFor = reason.id;
  reason.maxLength = REASON_MAX;
  reason.placeholder = gettext("Why? (optional)");
  const send = testId(element("button", "small", gettext("Send report")), "report-send");
  send.type = "submit";
  const cancel = button(gettext("Cancel"), { onClick: () => form.remove() });
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
      const done = testId(element("p", "hint reported", gettext("Reported. A teacher will take a look.")), "reported");
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
// Upvoting

async function upvoteToggle(id, vote) {
  if (!state.me) {
    elements.nickname.focus();
    return;
  }
  const upvote = !state.upvoted.has(id);
  vote.disabled = true;
  try {
    // Voting twice changes nothing, so a vote no server took (a deploy, a busy server) is sent again.
    const answer = await api(upvote ? "POST" : "DELETE", `/messages/${id}/upvote`, undefined, { resend: true });
    if (answer.upvoted) state.upvoted.add(id);
    else state.upvoted.delete(id);
    // The count comes with the next message.votes; the button shows this reader's part at once.
    showUpvotes(vote, answer.upvotes, answer.upvoted);
  } catch (error) {
    learnFromRefusal(error);
  } finally {
    vote.disabled = false;
  }
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
    undoOffer(id);
  } catch (error) {
    item.dataset.state = "confirmed";
    remove.disabled = false;
    item.querySelector(".post-problem")?.remove();
    item.append(problemBox(interpolate(gettext("Could not delete: %(reason)s"), { reason: error.message }, true)));
  }
}

// A misclick must not cost a student their message: for UNDO_MS after a
// delete, one tap brings it back (and the evidence view can, at any time).
let undoTimer = null;

function undoOffer(id) {
  clearTimeout(undoTimer);
  elements.undoBar.dataset.messageId = id;
  elements.undoBar.querySelector("span").textContent = gettext("Message deleted.");
  elements.undo.disabled = false;
  elements.undoBar.hidden = false;
  undoTimer = setTimeout(undoWithdraw, UNDO_MS);
}

function undoWithdraw() {
  clearTimeout(undoTimer);
  elements.undoBar.hidden = true;
  delete elements.undoBar.dataset.messageId;
}

async function undoDelete() {
  const id = Number(elements.undoBar.dataset.messageId);
  if (!id) return;
  elements.undo.disabled = true;
  try {
    await restoreSend(id);
    undoWithdraw();
  } catch (error) {
    const failed = interpolate(gettext("Could not restore: %(reason)s"), { reason: error.message }, true);
    elements.undoBar.querySelector("span").textContent = failed;
    elements.undo.disabled = false;
  }
}

// Restore from the evidence view, with the reason under the message if it fails.
async function restoreMessage(id, control) {
  const item = rendered.get(id);
  control.disabled = true;
  try {
    await restoreSend(id);
  } catch (error) {
    control.disabled = false;
    item?.querySelector(".post-problem")?.remove();
    item?.append(problemBox(interpolate(gettext("Could not restore: %(reason)s"), { reason: error.message }, true)));
  }
}

async function restoreSend(id) {
  const answer = await api("POST", `/messages/${id}/restore`);
  changingList(() => showRestored(answer.message));
}

// ---------------------------------------------------------------------------
// Slow mode: after a post, the Send button waits out the room's interval,
// counting down, so nobody piles up refusals.

let slowTimer = null;

function slowModeLeft() {
  return Math.max(0, Math.ceil((state.slowUntil - Date.now()) / 1000));
}

function slowModePosted() {
  if (isModerator || !(state.room.slow_mode_seconds > 0)) return;
  state.postedAt = Date.now();
  slowModeHold(state.room.slow_mode_seconds);
}

// The server's word (a 429's retry_after) or our own count after a post.
function slowModeHold(seconds) {
  state.slowUntil = Date.now() + seconds * 1000;
  slowModeTick();
}

function slowModeTick() {
  clearTimeout(slowTimer);
  const left = slowModeLeft();
  elements.slowWait.hidden = left === 0;
  if (left > 0) {
    elements.slowWait.textContent = interpolate(gettext("Wait %(seconds)s s"), { seconds: left }, true);
    slowTimer = setTimeout(slowModeTick, (state.slowUntil - Date.now()) % 1000 || 1000);
  }
  updateCounter();
}

// Switched on (or off), nobody waits for what they posted before; a new
// interval while it is on counts from the last post, as the server does.
function slowModeChanged(before, after) {
  if (before === after || isModerator) return;
  if (!before || !after) {
    state.postedAt = null;
    state.slowUntil = 0;
  } else if (state.postedAt !== null) {
    state.slowUntil = state.postedAt + after * 1000;
  }
  slowModeTick();
}

// ---------------------------------------------------------------------------
// Sharing

async function roomUrlCopy() {
  try {
    await navigator.clipboard.writeText(config.room.url);
    elements.copyUrl.textContent = gettext("Copied");
  } catch {
    // No clipboard outside a secure context: select the link so it can be copied by hand.
    const range = document.createRange();
    range.selectNodeContents(elements.roomUrl);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
  }
}

// ---------------------------------------------------------------------------
// Teacher tools (moderators only)

// Imported here when the page's role says so, rather than by a <script> the
// template adds for moderators: the tools then get what they may use of this
// page as arguments instead of reaching into it, and they have started before
// the stream does, so no event passes them by.
async function moderatorToolsLoad() {
  let module;
  try {
    module = await import("./moderator.js");
  } catch (error) {
    // The conversation works without the tools; reloading the page tries again.
    console.warn("could not load the teacher tools", error);
    document.getElementById("tools").setAttribute("inert", "");
    return null;
  }
  return module.moderatorToolsStart({
    api,
    roomName,
    room: state.room,
    isOwner: role === "owner",
    dashboardUrl: config.dashboardUrl,
    timeZone: config.timeZone,
    applyRoom,
    showDeleted: showDeletedSet,
    roomDeleted: roomDeletedHere,
    updateMessage: (message) => changingList(() => updateMessage(message)),
    reportedSet,
  });
}

// ---------------------------------------------------------------------------
// Start

elements.scroller.addEventListener("scroll", scrolled, { passive: true });
elements.loadOlder.addEventListener("click", loadOlder);
onSubmit(elements.joinForm, elements.joinError, joinSend);
elements.useSuggestion.addEventListener("click", suggestionUse);
onSubmit(elements.unlockForm, elements.unlockError, unlockSend);
elements.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  submitComposer();
});
elements.text.addEventListener("keydown", composerKeydown);
elements.text.addEventListener("input", updateCounter);
elements.copyUrl.addEventListener("click", roomUrlCopy);
elements.orderNewest.addEventListener("click", () => orderSet("newest"));
elements.orderTop.addEventListener("click", () => orderSet("top"));
elements.hideAnswered.addEventListener("change", () => hideAnsweredSet(elements.hideAnswered.checked));
elements.newMessages.addEventListener("click", scrollToNewest);
elements.undo?.addEventListener("click", undoDelete);

if (state.locked) elements.unlockNickname.value = config.rememberedNickname ?? state.me?.nickname ?? "";
closingSchedule();
updateDock();
updateListChrome();
if (isModerator) moderatorTools = await moderatorToolsLoad();
if (state.removed && state.room.is_private) {
  elements.scroller.dataset.stream = "removed";
} else if (state.locked) {
  elements.scroller.dataset.stream = "locked";
  (elements.unlockNickname.value ? elements.unlockPassword : elements.unlockNickname).focus();
} else {
  stream.start();
}
