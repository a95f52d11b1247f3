// The plan section of the account page: the card form (Stripe Elements, from
// STRIPE_JS_URL), subscribing, cancelling and keeping the plan. Server text
// only ever goes in through textContent; ours through gettext() (/jsi18n/).

const config = JSON.parse(document.getElementById("billing-config").textContent);
const byId = (id) => document.getElementById(id);
const ui = {
  status: byId("plan-status"),
  summary: document.querySelector("[data-testid=plan-summary]"),
  cardForm: byId("card-form"),
  subscribe: byId("subscribe"),
  cancel: byId("plan-cancel"),
  resume: byId("plan-resume"),
  error: byId("plan-error"),
  saved: byId("plan-saved"),
};
const longDate = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { dateStyle: "long" });

function csrfToken() {
  const prefix = "csrftoken=";
  const cookie = document.cookie.split("; ").find((part) => part.startsWith(prefix));
  return cookie ? decodeURIComponent(cookie.slice(prefix.length)) : "";
}

// Calls /api/billing/… with the session cookie; answers the parsed body or
// throws an Error carrying the server's message.
async function billingApi(method, path, body) {
  const headers = { Accept: "application/json", "X-CSRFToken": csrfToken() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`/api/billing/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new Error(gettext("Could not reach the server. Check your connection."));
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const answered = interpolate(gettext("The server answered %(status)s."), { status: response.status }, true);
    throw new Error(data?.error?.message ?? answered);
  }
  return data;
}

function statusText(plan) {
  const end = plan.current_period_end ? longDate.format(new Date(plan.current_period_end)) : null;
  if (plan.tier === "teacher_tools") {
    if (plan.status === "past_due") {
      return gettext("Your last payment failed. Stripe will try your card again; the tools stay on meanwhile.");
    }
    if (plan.cancel_at_period_end) {
      if (!end) return gettext("Cancelled at the end of this period.");
      return interpolate(gettext("Cancelled: the tools stay on until %(date)s."), { date: end }, true);
    }
    return end ? interpolate(gettext("Renews on %(date)s."), { date: end }, true) : gettext("Active.");
  }
  if (plan.status === "canceled") return gettext("Your Teacher Tools plan has ended.");
  return "";
}

function showPlan(plan) {
  const subscribed = plan.tier === "teacher_tools";
  ui.status.textContent = statusText(plan);
  ui.status.dataset.tier = plan.tier;
  ui.cardForm.hidden = subscribed;
  ui.cancel.hidden = !subscribed || plan.cancel_at_period_end;
  ui.resume.hidden = !subscribed || !plan.cancel_at_period_end;
  if (subscribed) {
    ui.summary.textContent = gettext(
      "Teacher Tools: topic, pause, slow mode, passwords, muting, co-moderators and transcripts are on.",
    );
  }
}

function showProblem(message) {
  ui.saved.hidden = true;
  ui.error.textContent = message;
  ui.error.hidden = false;
}

function showSaved(message) {
  ui.error.hidden = true;
  ui.saved.textContent = message;
  ui.saved.hidden = false;
}

async function act(button, action, doneMessage) {
  button.disabled = true;
  try {
    const { plan } = await action();
    showPlan(plan);
    showSaved(doneMessage);
  } catch (error) {
    showProblem(error.message);
  } finally {
    button.disabled = false;
  }
}

function mountCardForm() {
  if (typeof window.Stripe !== "function") {
    showProblem(gettext("The card form could not load. Reload the page, or allow js.stripe.com."));
    ui.subscribe.disabled = true;
    return;
  }
  const stripe = window.Stripe(config.publishableKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  ui.cardForm.addEventListener("submit", (event) => {
    event.preventDefault();
    act(
      ui.subscribe,
      async () => {
        // Stripe.js checks the card (3-D Secure if the bank asks) against a
        // SetupIntent; the server then subscribes with the card it saved.
        const { client_secret: clientSecret } = await billingApi("POST", "setup-intent");
        const result = await stripe.confirmCardSetup(clientSecret, { payment_method: { card } });
        if (result.error) throw new Error(result.error.message ?? gettext("Your card was declined."));
        return billingApi("POST", "subscription", { payment_method: result.setupIntent.payment_method });
      },
      gettext("Welcome to Teacher Tools: every tool is on now."),
    );
  });
}

ui.cancel.addEventListener("click", () =>
  act(
    ui.cancel,
    () => billingApi("DELETE", "subscription"),
    gettext("Cancelled. You keep the tools until the period ends."),
  ),
);
ui.resume.addEventListener("click", () =>
  act(
    ui.resume,
    () => billingApi("PATCH", "subscription", { cancel_at_period_end: false }),
    gettext("Your plan continues."),
  ),
);

showPlan(config.plan);
mountCardForm();
