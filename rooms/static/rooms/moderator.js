// The teacher tools beside the conversation: the review queue, room
// settings (Q&A ones included), reports, participants, the pin and answered
// controls on each message and, for the owner, co-moderators and deleting
// the room.
//
// Only a moderator's page loads this module (room.js imports it when the
// role says so), and it touches nothing of that page but what
// moderatorToolsStart is handed. The conversation itself, evidence and the
// Delete button on each message included, stays room.js's.

import {
  PAGE_LOCALES,
  authorLabel,
  button,
  colorMarker,
  element,
  onSubmit,
  sentenceWith,
  testId,
  timeElement,
  withDisabled,
} from "./dom.js";
import { request } from "./stream.js";

const byId = (id) => document.getElementById(id);
const tools = {
  status: byId("room-status"),
  pause: byId("toggle-pause"),
  close: byId("toggle-closed"),
  joining: byId("toggle-joining"),
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
  queue: byId("review-queue"),
  queueCount: byId("queue-count"),
  noQueue: byId("no-queue"),
  queueError: byId("queue-error"),
  review: byId("review-toggle"),
  anonymous: byId("anonymous-toggle"),
  wordFilter: byId("word-filter"),
  blockedForm: byId("blocked-words-form"),
  blockedWords: byId("blocked-words"),
  tabChat: byId("tab-chat"),
  tabTools: byId("tab-tools"),
  toolsAlert: byId("tools-alert"),
};
// Only the owner's page has these panels.
const ownerTools = {
  list: byId("moderators"),
  form: byId("moderator-form"),
  email: byId("moderator-email"),
  error: byId("moderators-error"),
  invited: byId("moderator-invited"),
  deleteRoom: byId("delete-room"),
  deleteError: byId("delete-error"),
};

// What the room page handed over at start (see moderatorToolsStart).
let roomPage = null;
// The room as the page last showed it.
let room = null;

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

// ---------------------------------------------------------------------------
// Room settings

const closesAtFormat = new Intl.DateTimeFormat(PAGE_LOCALES, { dateStyle: "medium", timeStyle: "short" });

function toolsShowRoom(shown) {
  room = shown;
  const parts = [];
  if (room.is_open === false) parts.push(gettext("Closed"));
  else if (room.paused) parts.push(gettext("Open, paused"));
  else parts.push(gettext("Open"));
  if (room.closes_at) {
    const closing = room.is_open === false ? gettext("closed %(when)s") : gettext("closes %(when)s");
    parts.push(interpolate(closing, { when: closesAtFormat.format(new Date(room.closes_at)) }, true));
  }
  parts.push(room.is_private ? gettext("private (password)") : gettext("public"));
  if (room.slow_mode_seconds > 0) {
    parts.push(interpolate(gettext("slow mode %(seconds)s s"), { seconds: room.slow_mode_seconds }, true));
  }
  if (room.joining_locked) parts.push(gettext("joining locked"));
  tools.status.textContent = `${parts.join(" · ")}.`;
  tools.pause.textContent = room.paused ? gettext("Resume room") : gettext("Pause room");
  // Nobody posts in a closed room: pausing it means nothing.
  tools.pause.hidden = room.is_open === false;
  tools.pause.setAttribute("aria-pressed", room.paused ? "true" : "false");
  tools.joining.textContent = room.joining_locked ? gettext("Unlock joining") : gettext("Lock joining");
  tools.joining.setAttribute("aria-pressed", room.joining_locked ? "true" : "false");
  tools.close.textContent = room.is_open === false ? gettext("Reopen room") : gettext("Close room now");
  tools.passwordClear.hidden = !room.is_private;
  tools.passwordForm.querySelector("#password-set").textContent = room.is_private
    ? pgettext("a password", "Change")
    : pgettext("a password", "Set");
  tools.review.checked = Boolean(room.review);
  tools.anonymous.checked = Boolean(room.anonymous);
  tools.wordFilter.value = room.word_filter ?? "off";
  if (document.activeElement !== tools.blockedWords && Array.isArray(room.blocked_words)) {
    tools.blockedWords.value = room.blocked_words.join("\n");
  }
  // Don't overwrite what a teacher is in the middle of typing.
  if (document.activeElement !== tools.topicInput) tools.topicInput.value = room.topic ?? "";
  if (document.activeElement !== tools.slowInput) tools.slowInput.value = room.slow_mode_seconds ?? 0;
}

// How long a status line ("Topic saved.") stays; it fades out over its
// last second (site.css .fading, instant with reduced motion).
const STATUS_MS = 4000;
const statusTimers = new Map();

function statusShow(line, text) {
  clearTimeout(statusTimers.get(line));
  line.textContent = text;
  line.hidden = false;
  // Restarted for a second status in a row.
  line.classList.remove("fading");
  void line.offsetWidth;
  line.classList.add("fading");
  statusTimers.set(
    line,
    setTimeout(() => {
      line.hidden = true;
      line.classList.remove("fading");
    }, STATUS_MS),
  );
}

// Answers whether the change was saved; a refusal is shown, never thrown.
async function roomChange(changes, saved) {
  tools.settingsError.hidden = true;
  tools.settingsSaved.hidden = true;
  try {
    roomPage.applyRoom(await roomPage.api("PATCH", "", changes));
    statusShow(tools.settingsSaved, saved);
    return true;
  } catch (error) {
    tools.settingsError.textContent = error.message;
    tools.settingsError.hidden = false;
    return false;
  }
}

function pauseToggle() {
  return withDisabled(tools.pause, () =>
    roomChange({ paused: !room.paused }, room.paused ? gettext("Room resumed.") : gettext("Room paused.")),
  );
}

function closedToggle() {
  const reopen = room.is_open === false;
  const saved = reopen ? gettext("Room reopened.") : gettext("Room closed.");
  return withDisabled(tools.close, () => roomChange({ closed: !reopen }, saved));
}

function joiningToggle() {
  const lock = !room.joining_locked;
  const saved = lock ? gettext("Joining locked: nobody new can join.") : gettext("Anyone may join again.");
  return withDisabled(tools.joining, () => roomChange({ joining_locked: lock }, saved));
}

function topicSave() {
  return roomChange({ topic: tools.topicInput.value }, gettext("Topic saved."));
}

function slowModeSave() {
  const seconds = Number(tools.slowInput.value || 0);
  const saved = seconds
    ? interpolate(gettext("Slow mode: %(seconds)s s."), { seconds }, true)
    : gettext("Slow mode off.");
  return roomChange({ slow_mode_seconds: seconds }, saved);
}

async function passwordSet() {
  if (await roomChange({ password: tools.passwordInput.value }, gettext("Password set. The room is private."))) {
    tools.passwordInput.value = "";
  }
}

function passwordClear() {
  return withDisabled(tools.passwordClear, () => roomChange({ password: null }, gettext("The room is public again.")));
}

function reviewToggle() {
  const review = tools.review.checked;
  const saved = review ? gettext("Posts wait for your review.") : gettext("Posts appear at once.");
  return withDisabled(tools.review, () => roomChange({ review }, saved));
}

function anonymousToggle() {
  const anonymous = tools.anonymous.checked;
  const saved = anonymous ? gettext("New posts are anonymous to the class.") : gettext("New posts show names.");
  return withDisabled(tools.anonymous, () => roomChange({ anonymous }, saved));
}

const WORD_FILTER_SAVED = {
  off: gettext("Word filter off."),
  hold: gettext("Posts with blocked words wait for your review."),
  mask: gettext("Blocked words are starred."),
};

function wordFilterSave() {
  const mode = tools.wordFilter.value;
  return withDisabled(tools.wordFilter, () => roomChange({ word_filter: mode }, WORD_FILTER_SAVED[mode]));
}

function blockedWordsSave() {
  const words = tools.blockedWords.value
    .split("\n")
    .map((word) => word.trim())
    .filter(Boolean);
  const saved = ngettext("%(count)s blocked word saved.", "%(count)s blocked words saved.", words.length);
  return roomChange({ blocked_words: words }, interpolate(saved, { count: words.length }, true));
}

// ---------------------------------------------------------------------------
// The review queue

const queueRows = new Map(); // message id -> <li>

function queueLoad() {
  return roomPage
    .api("GET", "/messages?status=held&limit=100")
    .then((answer) => {
      for (const item of queueRows.values()) item.remove();
      queueRows.clear();
      for (const message of answer.messages) queueAdd(message);
      tools.queueError.hidden = true;
    })
    .catch((error) => {
      tools.queueError.textContent = interpolate(
        gettext("Could not load the queue: %(reason)s"),
        { reason: error.message },
        true,
      );
      tools.queueError.hidden = false;
    });
}

function queueAdd(message) {
  if (queueRows.has(message.id)) return;
  const item = testId(element("li", "queued"), "queued-message");
  item.dataset.id = message.id;
  const meta = element("div", "message-meta");
  meta.append(authorLabel(message), timeElement(message.created_at));
  if (message.filtered) meta.append(testId(element("span", "badge", gettext("word filter")), "filtered-badge"));
  const actions = element("div", "tool-buttons");
  actions.append(
    button(gettext("Approve"), {
      className: "small",
      id: "approve",
      onClick: () => queueDecide(item, message.id, "approve"),
    }),
    button(gettext("Reject"), { id: "reject", onClick: () => queueDecide(item, message.id, "reject") }),
  );
  item.append(meta, testId(element("p", "message-text", message.text), "queued-text"), actions);
  queueRows.set(message.id, item);
  tools.queue.append(item);
  queueChrome();
}

function queueRemove(id) {
  queueRows.get(id)?.remove();
  queueRows.delete(id);
  queueChrome();
}

function queueChrome() {
  tools.queueCount.textContent = queueRows.size;
  tools.queueCount.classList.toggle("alert", queueRows.size > 0);
  tools.noQueue.hidden = queueRows.size > 0;
  toolsAlertShow();
}

// On a phone the tools sit behind their tab, which counts what waits there.
let openReports = 0;

function toolsAlertShow() {
  const waiting = queueRows.size + openReports;
  tools.toolsAlert.textContent = waiting;
  tools.toolsAlert.hidden = waiting === 0;
  tools.toolsAlert.classList.toggle("alert", waiting > 0);
}

async function queueDecide(item, id, action) {
  for (const control of item.querySelectorAll("button")) control.disabled = true;
  try {
    await roomPage.api("POST", `/messages/${id}/${action}`);
    queueRemove(id);
    tools.queueError.hidden = true;
  } catch (error) {
    const failed =
      action === "approve" ? gettext("Could not approve: %(reason)s") : gettext("Could not reject: %(reason)s");
    tools.queueError.textContent = interpolate(failed, { reason: error.message }, true);
    tools.queueError.hidden = false;
    for (const control of item.querySelectorAll("button")) control.disabled = false;
  }
}

// A message.held frame carries the message as it is now: held still, or
// already approved or rejected (a replay).
function queueHeard(message) {
  if (message.status === "held" && !message.deleted) queueAdd(message);
  else queueRemove(message.id);
}

// ---------------------------------------------------------------------------
// Pinning and answering, beside each message's Delete

function messageActions(message) {
  const pin = button(gettext("Pin"), { className: "small secondary", id: "pin-message" });
  const answered = button(gettext("Answered"), { className: "small secondary", id: "mark-answered" });
  pin.addEventListener("click", () => messageToggle(pin, "pinned"));
  answered.addEventListener("click", () => messageToggle(answered, "answered"));
  const author = { nickname: message.nickname };
  pin.setAttribute("aria-label", interpolate(gettext("Pin or unpin the message from %(nickname)s"), author, true));
  answered.setAttribute(
    "aria-label",
    interpolate(gettext("Mark the message from %(nickname)s answered or not"), author, true),
  );
  if (message.participant_id == null) return [pin, answered];
  // Muting from the message itself: one tap on a phone, without the tools.
  const mute = button(gettext("Mute"), { className: "small secondary", id: "mute-author" });
  mute.setAttribute("aria-label", interpolate(gettext("Mute %(nickname)s"), author, true));
  mute.addEventListener("click", () => authorMute(mute, message.participant_id));
  return [pin, answered, mute];
}

async function authorMute(control, participantId) {
  await withDisabled(control, async () => {
    try {
      const answer = await roomPage.api("POST", `/participants/${participantId}/mute`);
      participantsApply(answer.participant);
      control.textContent = gettext("Muted");
      tools.participantsError.hidden = true;
    } catch (error) {
      const failed = interpolate(gettext("Could not mute: %(reason)s"), { reason: error.message }, true);
      tools.settingsError.textContent = failed;
      tools.settingsError.hidden = false;
    }
  });
}

async function messageToggle(control, field) {
  const item = control.closest(".message");
  const now = field === "pinned" ? item.classList.contains("pinned") : item.dataset.answered === "true";
  await withDisabled(control, async () => {
    try {
      const answer = await roomPage.api("PATCH", `/messages/${item.dataset.id}`, { [field]: !now });
      roomPage.updateMessage(answer.message);
    } catch (error) {
      tools.settingsError.textContent = error.message;
      tools.settingsError.hidden = false;
    }
  });
}

// ---------------------------------------------------------------------------
// Reports

// Frames only say that reports changed, so the panel fetches them again.
const reportsRefresh = coalesced(async () => {
  try {
    const answer = await roomPage.api("GET", "/reports?state=open");
    reportsShow(answer.reports);
    tools.reportsError.hidden = true;
  } catch (error) {
    tools.reportsError.textContent = interpolate(
      gettext("Could not load reports: %(reason)s"),
      { reason: error.message },
      true,
    );
    tools.reportsError.hidden = false;
  }
});

function reportsShow(reports) {
  tools.reports.replaceChildren(...reports.map(reportItem));
  tools.reportCount.textContent = reports.length;
  tools.reportCount.classList.toggle("alert", reports.length > 0);
  tools.noReports.hidden = reports.length > 0;
  openReports = reports.length;
  toolsAlertShow();
  roomPage.reportedSet(reports.map((report) => report.message?.id));
}

function reportItem(report) {
  const item = testId(element("li", "report"), "report");
  item.dataset.id = report.id;
  const message = report.message ?? {};
  const quoted = element("blockquote", "reported-message");
  const author = element("div", "message-meta");
  author.append(authorLabel(message));
  if (message.created_at) author.append(timeElement(message.created_at));
  if (message.deleted) author.append(element("span", "deleted-note", gettext("Deleted")));
  quoted.append(author, testId(element("p", "message-text", message.text ?? ""), "report-message-text"));
  const by = element("p", "report-by");
  const reporter = document.createDocumentFragment();
  reporter.append(
    colorMarker(report.reporter?.color, report.reporter?.nickname),
    testId(element("strong", null, report.reporter?.nickname ?? gettext("someone")), "report-reporter"),
  );
  by.append(sentenceWith(gettext("Reported by %(reporter)s"), "reporter", reporter));
  if (report.created_at) by.append(" ", timeElement(report.created_at));
  const reason = testId(
    element("p", report.reason ? "report-reason" : "report-reason hint", report.reason || gettext("No reason given.")),
    "report-reason",
  );
  const actions = element("div", "tool-buttons");
  actions.append(
    button(gettext("Delete message"), {
      className: "small danger",
      id: "resolve-delete",
      onClick: () => reportResolve(item, report.id, "delete"),
    }),
    button(gettext("Dismiss"), { id: "resolve-dismiss", onClick: () => reportResolve(item, report.id, "dismiss") }),
  );
  item.append(quoted, by, reason, actions);
  return item;
}

async function reportResolve(item, reportId, action) {
  for (const control of item.querySelectorAll("button")) control.disabled = true;
  try {
    await roomPage.api("POST", `/reports/${reportId}/resolve`, { action });
    item.remove();
    tools.reportsError.hidden = true;
  } catch (error) {
    tools.reportsError.textContent = interpolate(
      gettext("Could not resolve the report: %(reason)s"),
      { reason: error.message },
      true,
    );
    tools.reportsError.hidden = false;
    for (const control of item.querySelectorAll("button")) control.disabled = false;
  }
  reportsRefresh();
}

// ---------------------------------------------------------------------------
// Participants

const participantRows = new Map(); // participant id -> {participant, item}

const participantsLoad = coalesced(async () => {
  try {
    const answer = await roomPage.api("GET", "/participants");
    participantRows.clear();
    tools.participants.replaceChildren();
    for (const participant of answer.participants) participantsApply(participant);
    tools.participantsError.hidden = true;
  } catch (error) {
    tools.participantsError.textContent = interpolate(
      gettext("Could not load participants: %(reason)s"),
      { reason: error.message },
      true,
    );
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

// A frame carries the public view of the participant, without what only
// teachers see (why they are muted): the row changes at once, and the list is
// read again for the rest. Unmuting someone also unmutes whoever took their mute.
function participantChanged(participant) {
  participantsApply(participant);
  participantsLoad();
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
  item.dataset.removed = participant.removed ? "true" : "false";
  const who = element("div", "participant-who");
  who.append(colorMarker(participant.color, participant.nickname));
  who.append(testId(element("span", "nickname", participant.nickname), "participant-nickname"));
  if (participant.removed) {
    who.append(testId(element("span", "badge muted", gettext("removed")), "participant-removed"));
  } else if (participant.muted) {
    who.append(testId(element("span", "badge muted", gettext("muted")), "participant-muted"));
  }
  const details = element("div", "hint participant-details");
  const posts = participant.post_count ?? 0;
  const postCount = interpolate(ngettext("%(count)s post", "%(count)s posts", posts), { count: posts }, true);
  details.append(testId(element("span", null, postCount), "participant-posts"));
  if (participant.joined_at) {
    details.append(" · ", sentenceWith(gettext("joined %(time)s"), "time", timeElement(participant.joined_at)));
  }
  const actions = element("div", "tool-buttons");
  if (participant.removed) {
    actions.append(participantAction(participant, "unblock", "small secondary"));
  } else {
    const action = participant.muted ? "unmute" : "mute";
    actions.append(
      participantAction(participant, action, participant.muted ? "small" : "small secondary"),
      participantAction(participant, "block", "small danger"),
    );
  }
  item.append(who, actions, details);
  if (participant.muted && participant.muted_from && !participant.removed) item.append(mutedFromNote(participant));
  return item;
}

// Why someone is muted whom no teacher muted: they joined from the network
// of someone muted (or removed) before them. Often the same student in a new
// window; sometimes a classmate who came late, whom the teacher may unmute.
function mutedFromNote(participant) {
  const note = testId(element("p", "hint participant-muted-from"), "participant-muted-from");
  const template = gettext(
    "Muted on joining: same network as %(nickname)s, who was muted before. Unmute if this is someone else.",
  );
  note.append(sentenceWith(template, "nickname", element("strong", null, participant.muted_from.nickname)));
  return note;
}

// Each action's button, its name for a screen reader, and what a refusal says.
const PARTICIPANT_ACTIONS = {
  mute: {
    label: gettext("Mute"),
    named: gettext("Mute %(nickname)s"),
    failed: gettext("Could not mute: %(reason)s"),
  },
  unmute: {
    label: gettext("Unmute"),
    named: gettext("Unmute %(nickname)s"),
    failed: gettext("Could not unmute: %(reason)s"),
  },
  block: {
    label: pgettext("a participant", "Remove"),
    named: gettext("Remove %(nickname)s"),
    failed: gettext("Could not remove: %(reason)s"),
  },
  unblock: {
    label: gettext("Allow back"),
    named: gettext("Allow back %(nickname)s"),
    failed: gettext("Could not allow back: %(reason)s"),
  },
};

function participantAction(participant, action, className) {
  const { label, named } = PARTICIPANT_ACTIONS[action];
  const control = button(label, { className, id: action, onClick: () => participantAct(participant, action, control) });
  control.setAttribute("aria-label", interpolate(named, { nickname: participant.nickname }, true));
  return control;
}

async function participantAct(participant, action, control) {
  // Removing ends their connection at once and can't be undone from their side: confirm it.
  const question = interpolate(
    gettext("Remove %(nickname)s from the room? They can't post or join until you allow them back."),
    { nickname: participant.nickname },
    true,
  );
  if (action === "block" && !window.confirm(question)) return;
  control.disabled = true;
  try {
    const answer = await roomPage.api("POST", `/participants/${participant.id}/${action}`);
    participantsApply(answer.participant);
    tools.participantsError.hidden = true;
  } catch (error) {
    control.disabled = false;
    tools.participantsError.textContent = interpolate(
      PARTICIPANT_ACTIONS[action].failed,
      { reason: error.message },
      true,
    );
    tools.participantsError.hidden = false;
  }
}

// ---------------------------------------------------------------------------
// Co-moderators and deleting the room (owner only)

function moderatorsShow({ moderators, invitations }) {
  const rows = [
    ...moderators.map(({ email }) => moderatorItem(email, null)),
    ...invitations.map(({ email }) => moderatorItem(email, gettext("invited: waiting for them to accept"))),
  ];
  ownerTools.list.replaceChildren(...rows);
  if (!rows.length) ownerTools.list.append(element("li", "hint", gettext("None yet.")));
}

// A co-moderator, or (with a note) someone invited who hasn't accepted yet.
function moderatorItem(email, note) {
  const item = testId(element("li", "moderator"), note ? "invitation" : "moderator");
  const who = element("div", "moderator-who");
  who.append(testId(element("span", "moderator-email", email), "moderator-email-text"));
  if (note) who.append(testId(element("span", "hint invitation-state", note), "invitation-state"));
  item.append(who);
  const remove = button(note ? gettext("Cancel") : pgettext("a co-moderator", "Remove"), {
    id: note ? "cancel-invitation" : "remove-moderator",
  });
  remove.addEventListener("click", () => moderatorRemove(email, remove));
  const named = note ? gettext("Cancel the invitation to %(email)s") : gettext("Remove %(email)s as co-moderator");
  remove.setAttribute("aria-label", interpolate(named, { email }, true));
  item.append(remove);
  return item;
}

async function moderatorsLoad() {
  try {
    moderatorsShow(await roomPage.api("GET", "/moderators"));
  } catch (error) {
    moderatorsFailed(error);
  }
}

function moderatorsFailed(error) {
  ownerTools.error.textContent = error.message;
  ownerTools.error.hidden = false;
}

// The answer is the same whether or not the address has an account: the
// invitation is emailed either way, and the owner learns nothing from it.
async function moderatorInvite() {
  ownerTools.invited.hidden = true;
  const answer = await roomPage.api("POST", "/moderators", { email: ownerTools.email.value });
  ownerTools.email.value = "";
  statusShow(
    ownerTools.invited,
    interpolate(gettext("Invitation sent to %(email)s."), { email: answer.invitation.email }, true),
  );
  await moderatorsLoad();
}

async function moderatorRemove(email, control) {
  control.disabled = true;
  ownerTools.error.hidden = true;
  try {
    await roomPage.api("DELETE", `/moderators/${encodeURIComponent(email)}`);
    await moderatorsLoad();
  } catch (error) {
    control.disabled = false;
    moderatorsFailed(error);
  }
}

async function roomDelete() {
  // A native dialog: deleting can't be undone, so it gets a real interruption.
  const question = gettext("Delete “%(name)s” and all its messages? This can’t be undone.");
  if (!window.confirm(interpolate(question, { name: roomPage.roomName }, true))) return;
  ownerTools.deleteRoom.disabled = true;
  ownerTools.deleteError.hidden = true;
  try {
    await roomPage.api("DELETE", "");
    roomPage.roomDeleted();
    window.location.assign(roomPage.dashboardUrl);
  } catch (error) {
    ownerTools.deleteRoom.disabled = false;
    ownerTools.deleteError.textContent = error.message;
    ownerTools.deleteError.hidden = false;
  }
}

// ---------------------------------------------------------------------------
// On a phone: the chat takes the screen, the tools are a tab away

function tabShow(view) {
  document.getElementById("main").dataset.view = view;
  tools.tabChat.setAttribute("aria-selected", view === "chat" ? "true" : "false");
  tools.tabTools.setAttribute("aria-selected", view === "tools" ? "true" : "false");
}

// ---------------------------------------------------------------------------
// Start

// Wires the tools to the room page and loads what they show. `page` is all
// they may use of it:
//   api                 the room's API (stream.js roomApi)
//   roomName            the room's name
//   room                the room as the page shows it now
//   isOwner             whether to start the owner's panels too
//   dashboardUrl        where the owner goes once the room is deleted
//   applyRoom(room)     the page takes a room the API answered
//   showDeleted(show)   the page shows deleted messages as evidence, or stops
//   roomDeleted()       the page forgets the room this owner just deleted
//   updateMessage(m)    the page shows a message pinned or answered as the API answered
//   reportedSet(ids)    the page marks the messages with an open report
// The answer is what the page tells the tools as news arrives:
//   roomChanged(room), participantChanged(participant),
//   messageArrived(message), messageHeld(message), messageRejected(id),
//   reportsChanged(); and messageActions(message), the tools' buttons for a row
// Transcripts are in the teacher's time zone: the account learns it from
// the browser they teach from, whenever that differs from what it knows.
function timeZoneRemember(known) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || zone === known) return;
  // A zone the server's database lacks is refused; transcripts then stay in the last one.
  request("/api/me", "PATCH", { time_zone: zone }).catch(() => {});
}

export function moderatorToolsStart(page) {
  roomPage = page;
  toolsShowRoom(page.room);
  tabShow("chat");
  tools.tabChat.addEventListener("click", () => tabShow("chat"));
  tools.tabTools.addEventListener("click", () => tabShow("tools"));

  tools.pause.addEventListener("click", pauseToggle);
  tools.close.addEventListener("click", closedToggle);
  tools.joining.addEventListener("click", joiningToggle);
  onSubmit(tools.topicForm, tools.settingsError, topicSave);
  onSubmit(tools.slowForm, tools.settingsError, slowModeSave);
  onSubmit(tools.passwordForm, tools.settingsError, passwordSet);
  tools.passwordClear.addEventListener("click", passwordClear);
  tools.showDeleted.addEventListener("change", () => page.showDeleted(tools.showDeleted.checked));
  tools.refreshParticipants.addEventListener("click", participantsLoad);
  tools.review.addEventListener("change", reviewToggle);
  tools.anonymous.addEventListener("change", anonymousToggle);
  tools.wordFilter.addEventListener("change", wordFilterSave);
  onSubmit(tools.blockedForm, tools.settingsError, blockedWordsSave);
  participantsLoad();
  reportsRefresh();
  queueLoad();
  timeZoneRemember(page.timeZone);

  if (page.isOwner) {
    onSubmit(ownerTools.form, ownerTools.error, moderatorInvite);
    ownerTools.deleteRoom.addEventListener("click", roomDelete);
    moderatorsLoad();
  }

  return {
    roomChanged: toolsShowRoom,
    participantChanged,
    messageArrived(message) {
      // Approved: it leaves the queue.
      queueRemove(message.id);
      participantsNoticeAuthor(message);
    },
    messageHeld: queueHeard,
    messageRejected: queueRemove,
    messageActions,
    reportsChanged: reportsRefresh,
  };
}
