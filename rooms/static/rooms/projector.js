// The projector: a read-only, large-type view of the room for the classroom
// screen. It follows the same stream as the room page (stream.js) and always
// keeps the newest message in view; nobody scrolls a projector. The pinned
// question stands above the conversation, large, and the QR code beside the
// room's URL lets the class join from their phones.

import { authorLabel, element, testId } from "./dom.js";
import { RoomStream, closingWatch, roomApi } from "./stream.js";

const config = JSON.parse(document.getElementById("room-config").textContent);
const api = roomApi(config.room.name);
// What fits on a screen several times over; older rows are dropped as new ones arrive.
const KEEP_MESSAGES = 100;

const byId = (id) => document.getElementById(id);
const elements = {
  topic: document.querySelector("[data-testid=room-topic]"),
  notice: byId("connection-notice"),
  paused: byId("paused-notice"),
  closed: byId("closed-notice"),
  ended: byId("ended-notice"),
  scroller: byId("scroller"),
  list: byId("messages"),
  empty: byId("empty-room"),
  pinned: byId("pinned"),
};
const rendered = new Map(); // message id -> <li>
let room = config.room;
let pinned = null;

function messageItem(message) {
  const item = testId(element("li", "projector-message"), "message");
  item.dataset.id = message.id;
  item.dataset.seq = message.seq;
  item.append(authorLabel(message), testId(element("p", "message-text", message.text), "message-text"));
  return item;
}

function showNewest() {
  elements.scroller.scrollTop = elements.scroller.scrollHeight;
  elements.empty.hidden = rendered.size > 0;
}

function showMessage(message) {
  if (message.deleted || rendered.has(message.id)) return;
  const item = messageItem(message);
  rendered.set(message.id, item);
  // In seq order: a restored message goes back to its place, not to the end.
  const later = [...elements.list.children].find((node) => Number(node.dataset.seq) > message.seq);
  elements.list.insertBefore(item, later ?? null);
  while (rendered.size > KEEP_MESSAGES) {
    const oldest = elements.list.firstElementChild;
    rendered.delete(Number(oldest.dataset.id));
    oldest.remove();
  }
}

function removeMessage(id) {
  rendered.get(id)?.remove();
  rendered.delete(id);
  if (pinned?.id === id) showPinned(null);
}

function showPinned(message) {
  pinned = message;
  elements.pinned.hidden = !message;
  if (!message) {
    elements.pinned.replaceChildren();
    return;
  }
  const item = testId(element("div", "projector-pinned-message"), "pinned-message");
  item.append(authorLabel(message), testId(element("p", "message-text", message.text), "message-text"));
  elements.pinned.replaceChildren(element("p", "pinned-label", gettext("Pinned question")), item);
}

function updateMessage(message) {
  if (message.deleted) removeMessage(message.id);
  else if (message.pinned) showPinned(message);
  else if (pinned?.id === message.id) showPinned(null);
}

async function reload() {
  const page = await api("GET", `/messages?limit=${KEEP_MESSAGES}`);
  elements.list.replaceChildren();
  rendered.clear();
  for (const message of page.messages) showMessage(message);
  showPinned(page.pinned);
  showNewest();
  return page.seq;
}

// A projector runs for a whole lesson; a closing time passing must show without a reload.
const watchClosing = closingWatch(() => applyRoom({ is_open: false }));

function applyRoom(changes) {
  room = { ...room, ...changes };
  elements.topic.textContent = room.topic ?? "";
  elements.topic.hidden = !room.topic;
  elements.paused.hidden = !room.paused || room.is_open === false;
  elements.closed.hidden = room.is_open !== false;
  watchClosing(room);
}

function apply(event) {
  if (event.type === "message.created") showMessage(event.message);
  else if (event.type === "message.restored") showMessage(event.message);
  else if (event.type === "message.deleted") removeMessage(event.message_id);
  else if (event.type === "message.updated") updateMessage(event.message);
  else if (event.type === "room.updated") applyRoom(event.room);
  showNewest();
}

const ENDINGS = {
  locked: gettext(
    "This page may no longer show the room: it needs a password, or you signed out. Open the room, then reload this page.",
  ),
  removed: gettext("A teacher removed this browser from the room."),
  deleted: gettext("This room was deleted."),
  missing: gettext("This room no longer exists."),
};

const stream = new RoomStream({
  roomName: config.room.name,
  api,
  reload,
  apply,
  onHello: applyRoom,
  onStatus(name, notice) {
    elements.scroller.dataset.stream = name;
    elements.notice.hidden = name !== "reconnecting";
    if (notice) elements.notice.textContent = notice;
  },
  onEnd(reason) {
    watchClosing(null);
    // The room may have been deleted or locked because of what it showed.
    elements.list.replaceChildren();
    rendered.clear();
    showPinned(null);
    elements.ended.textContent = ENDINGS[reason];
    elements.ended.hidden = false;
    elements.paused.hidden = true;
    elements.closed.hidden = true;
    elements.empty.hidden = true;
  },
});

// ---------------------------------------------------------------------------
// Start

// Large type reflows when the window is resized (or the projector's resolution changes).
window.addEventListener("resize", showNewest);

if (config.locked) {
  elements.scroller.dataset.stream = "locked";
} else {
  applyRoom({});
  stream.start();
}
