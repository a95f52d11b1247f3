// Small DOM helpers shared by the page modules (room, teacher tools, projector).
// User text only ever goes in through textContent, and colours only if they
// look like one. Our own text is translated with gettext() (from /jsi18n/).

const COLOR_PATTERN = /^#[0-9a-f]{6}$/i;

// Dates in the page's language: the reader's regional form of it if the
// browser has one (es-MX for a Mexican browser on the Spanish page), else the plain one.
function pageLocales() {
  const page = document.documentElement.lang || "en";
  const regional = (navigator.languages ?? []).filter((tag) => tag.split("-")[0] === page.split("-")[0]);
  return [...regional, page];
}

export const PAGE_LOCALES = pageLocales();

const timeOfDay = new Intl.DateTimeFormat(PAGE_LOCALES, { hour: "numeric", minute: "2-digit" });
const dayAndTime = new Intl.DateTimeFormat(PAGE_LOCALES, {
  month: "short",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
});
const fullDate = new Intl.DateTimeFormat(PAGE_LOCALES, { dateStyle: "full", timeStyle: "medium" });

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

export function testId(node, id) {
  node.setAttribute("data-testid", id);
  return node;
}

export function button(label, { className = "small secondary", id, onClick } = {}) {
  const node = element("button", className, label);
  node.type = "button";
  if (id) testId(node, id);
  if (onClick) node.addEventListener("click", onClick);
  return node;
}

export function timeElement(isoString) {
  const time = document.createElement("time");
  const date = new Date(isoString);
  time.dateTime = isoString;
  const sameDay = date.toDateString() === new Date().toDateString();
  time.textContent = (sameDay ? timeOfDay : dayAndTime).format(date);
  time.title = fullDate.format(date);
  return time;
}

// The dot that lets a teacher tell participants apart, with the nickname's
// initials in it: a second cue for those who can't tell the colours apart.
// Decorative: the nickname next to it carries the meaning.
export function colorMarker(color, nickname) {
  const marker = testId(element("span", "color-marker"), "color-marker");
  marker.setAttribute("aria-hidden", "true");
  if (typeof color === "string" && COLOR_PATTERN.test(color)) {
    marker.style.backgroundColor = color;
    marker.dataset.color = color.toLowerCase();
    marker.classList.add(isLightColor(color) ? "on-light" : "on-dark");
    marker.textContent = initials(nickname);
  } else {
    marker.classList.add("no-color");
  }
  return marker;
}

// "Sam Lee" → "SL", "sam" → "S", "🦊 fox" → "🦊F": whole characters, emoji included.
export function initials(nickname) {
  if (typeof nickname !== "string") return "";
  const words = nickname.trim().split(/\s+/).filter(Boolean).slice(0, 2);
  return words.map((word) => firstCharacter(word).toLocaleUpperCase(PAGE_LOCALES)).join("");
}

function firstCharacter(word) {
  if (typeof Intl.Segmenter === "function") {
    const [first] = new Intl.Segmenter(PAGE_LOCALES, { granularity: "grapheme" }).segment(word);
    return first?.segment ?? "";
  }
  return [...word][0] ?? "";
}

// Whether black initials read on `color` better than white ones (WCAG relative luminance).
function isLightColor(color) {
  const channel = (offset) => {
    const value = parseInt(color.slice(offset, offset + 2), 16) / 255;
    return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  // Where black on it and white on it have the same contrast ratio.
  return luminance > 0.179;
}

// The name a message shows: an anonymous post reaches the class as
// "Anonymous" (in English, as the API says it), shown in the page's language.
export function shownNickname(message) {
  return message.anonymous && message.participant_id == null ? gettext("Anonymous") : message.nickname;
}

// Nickname with its marker, and a badge for the room's teachers.
export function authorLabel(message) {
  const label = element("span", "author");
  const nickname = testId(element("span", "nickname", shownNickname(message)), "message-nickname");
  label.append(colorMarker(message.color, shownNickname(message)), nickname);
  if (message.role === "owner" || message.role === "moderator") {
    label.append(testId(element("span", "badge", gettext("teacher")), "teacher-badge"));
  }
  return label;
}

// A translated sentence with an element in it, where "%(name)s" stands.
export function sentenceWith(template, name, node) {
  const [before, after = ""] = template.split(`%(${name})s`);
  const sentence = document.createDocumentFragment();
  sentence.append(before, node, after);
  return sentence;
}

export async function withDisabled(control, task) {
  control.disabled = true;
  try {
    return await task();
  } finally {
    control.disabled = false;
  }
}

// A form whose button rests while `send` runs; what `send` throws is shown
// in `errorBox`.
export function onSubmit(form, errorBox, send) {
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
