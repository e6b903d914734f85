/*
 * <connect-button member-id="42" member-name="Ada Lovelace"></connect-button>
 *
 * The reference Connect button of connect-api: a web component without a framework or a build
 * step. Every button on a page draws its state from one `GET /v1/relationships?ids=...`: the
 * buttons that appear in the same animation frame are looked up together, up to 100 ids (the
 * endpoint's limit) per request. A click does what the look-up offers (invite with a note,
 * accept or ignore, withdraw, follow or unfollow, message) and then looks the member up again.
 * Refusals (problem+json `code`s) are said in words.
 *
 * Configuration, once per page (before or after this script loads):
 *
 *   window.connectButtonConfig = { baseUrl: "https://api.example.com", getToken: () => token };
 *   // or, once loaded:
 *   ConnectButton.configure({ getToken: async () => (await fetch("/session")).text() });
 *
 *   baseUrl        where the API is ("" = this page's origin)
 *   getToken       returns (or resolves to) the member's bearer token
 *   noteMaxLength  longest personal note, in characters (default 300, the service's default)
 *   batchSize      most ids per look-up (default 100, the endpoint's limit; look-ups of more
 *                  than 20 ids count in the service's `expensive` rate limit class)
 *   messageHref    (memberId) => URL of the conversation; without it, Message fires an event
 *   locale         for dates and times (default: the browser's)
 *   live           true: keep the page live (see below), as if a button had `live`
 *
 * Attributes: `member-id` (required), `member-name` (used in sentences: "You can invite Ada
 * again on ..."), `api-base` (overrides baseUrl for this button), `live` (see below).
 *
 * Live: with `live` on any button (or the `live` option), the page holds one stream of the
 * member's events (`GET /v1/me/stream`, at baseUrl), however many buttons it has. An event
 * looks up again the buttons of the members it names (an invitation from Ana turns Ana's
 * button into Accept; its withdrawal turns it back), batched like any look-up. A stream opens
 * with a single-use ticket (`POST /v1/me/stream-tickets`), so on an error or an `event: close`
 * the page asks for another and resumes after the last event id (`&after=`), after a pause
 * that doubles with each failure in a row (1 s up to 30 s). While getToken gives no token, no
 * stream opens; ConnectButton.reconnect() starts it over (call it when the member signed in
 * changes, or signs in). ConnectButton.counts is the badge's numbers ({pending_received,
 * unseen_received}) from the stream's `counts` events, each also dispatched on `document` as
 * `connect-button:counts`.
 *
 * Also: ConnectButton.refresh(...memberIds) looks those members (or, with none, every
 * button) up again; ConnectButton.describe(problem, name, memberId) says a problem+json body
 * in the words a button would use; element.relationship is the last look-up's item.
 *
 * Events (bubbling, composed): `connect-button:change` after an action succeeded
 * (detail: {memberId, did, relationship}), `connect-button:message` when Message is pressed
 * without a messageHref (detail: {memberId}); on `document`, `connect-button:counts`
 * (detail: {pending_received, unseen_received}).
 *
 * Styling: CSS custom properties on the element or any ancestor:
 *   --connect-button-accent, --connect-button-accent-text, --connect-button-text,
 *   --connect-button-muted, --connect-button-danger, --connect-button-radius,
 *   --connect-button-font, --connect-button-background
 */
(() => {
  "use strict";
  if (window.customElements.get("connect-button")) return;

  const config = {
    baseUrl: "",
    getToken: null,
    noteMaxLength: 300,
    batchSize: 100,
    messageHref: null,
    locale: undefined,
    live: false,
  };
  if (window.connectButtonConfig) Object.assign(config, window.connectButtonConfig);

  // --- requests -------------------------------------------------------------------------------

  class Problem extends Error {
    constructor(problem) {
      super(problem.detail || problem.title || problem.code);
      this.problem = problem;
    }
  }

  async function call(base, method, path, body) {
    const headers = { Accept: "application/json, application/problem+json" };
    const token = config.getToken ? await config.getToken() : null;
    if (token) headers.Authorization = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new Problem({ code: "network_error", detail: String(error) });
    }
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json().catch(() => null) : null;
    if (!response.ok) {
      const problem = data && typeof data === "object" ? data : {};
      problem.status = problem.status || response.status;
      problem.code = problem.code || "http_" + response.status;
      problem.retryAfterHeader = response.headers.get("retry-after");
      throw new Problem(problem);
    }
    return data;
  }

  // --- one look-up for every button -------------------------------------------------------------

  const buttons = new Set(); // every connected <connect-button>
  const waiting = new Set(); // buttons waiting for the next look-up
  let scheduled = false;

  function schedule(button) {
    waiting.add(button);
    if (scheduled) return;
    scheduled = true;
    // Buttons that connect before the next frame share its look-up. A hidden tab gets no
    // frames, so a timer stands in for one there.
    const go = () => {
      if (!scheduled) return;
      scheduled = false;
      clearTimeout(timer);
      lookUp();
    };
    const timer = setTimeout(go, 100);
    requestAnimationFrame(go);
  }

  function lookUp() {
    const groups = new Map(); // base URL -> member id -> [buttons]
    for (const button of waiting) {
      if (!button.isConnected || !button._id) continue;
      const base = button._base();
      if (!groups.has(base)) groups.set(base, new Map());
      const byId = groups.get(base);
      if (!byId.has(button._id)) byId.set(button._id, []);
      byId.get(button._id).push(button);
    }
    waiting.clear();
    const size = Math.max(1, Math.min(100, config.batchSize | 0 || 100));
    for (const [base, byId] of groups) {
      const ids = [...byId.keys()];
      for (let i = 0; i < ids.length; i += size) {
        const chunk = ids.slice(i, i + size);
        call(base, "GET", "/v1/relationships?ids=" + chunk.join(","))
          .then((answer) => {
            for (const item of answer.items) {
              for (const button of byId.get(String(item.member_id)) || []) button._show(item);
            }
          })
          .catch((error) => {
            const problem = error instanceof Problem ? error.problem : { code: "error" };
            for (const id of chunk) for (const button of byId.get(id)) button._failed(problem);
          });
      }
    }
  }

  /** Look every button of these members up again (all buttons when none are given). */
  function refresh(...memberIds) {
    const wanted = new Set(memberIds.map(String));
    for (const button of buttons) {
      if (wanted.size === 0 || wanted.has(button._id)) schedule(button);
    }
  }

  // --- live: one stream per page --------------------------------------------------------------

  // The feed's event types (each is the `event:` of its frame), and the keys of their `data` that
  // hold member ids: an event looks up again the buttons of the members it names.
  const FEED_TYPES = [
    "invitation.created", "invitation.accepted", "invitation.declined", "invitation.withdrawn",
    "invitation.expired", "connection.removed", "follow.created", "follow.removed",
    "member.blocked", "member.unblocked", "member.erased",
  ];
  const MEMBER_KEYS = [
    "inviter_id", "invitee_id", "member_id", "other_id",
    "follower_id", "followee_id", "blocker_id", "blocked_id",
  ];

  const live = {
    run: 0, // bumped when the stream stops: what an older run still has under way gives up
    running: false, // open, opening, or waiting to open again
    source: null, // the EventSource
    timer: 0, // the next attempt
    failures: 0, // attempts in a row that failed, for the backoff
    lastEventId: "", // the feed position reached: the next stream resumes after it
    fresh: false, // the next stream starts from now (a resume failed): look everything up
  };

  function wantsLive() {
    return Boolean(config.live) || [...buttons].some((button) => button.hasAttribute("live"));
  }

  /** Open the stream when the page wants one (and has a token), close it when it no longer does. */
  function syncLive() {
    if (!wantsLive()) stopLive();
    else if (!live.running) openLive(live.run);
  }

  function stopLive() {
    live.run += 1;
    live.running = false;
    clearTimeout(live.timer);
    if (live.source) live.source.close();
    live.source = null;
  }

  /** Another ticket and stream after a pause that doubles with each failure in a row. */
  function retryLive(run) {
    if (live.source) live.source.close();
    live.source = null;
    const pause = Math.min(30000, 1000 * 2 ** live.failures++);
    clearTimeout(live.timer);
    live.timer = setTimeout(() => openLive(run), pause * (0.5 + Math.random() / 2));
  }

  async function openLive(run) {
    if (run !== live.run) return;
    live.running = true;
    const base = (config.baseUrl || "").replace(/\/+$/, "");
    let ticket = null;
    try {
      // A ticket per stream: EventSource can't send the token, and a ticket opens one stream once.
      if (config.getToken && (await config.getToken())) {
        ticket = await call(base, "POST", "/v1/me/stream-tickets");
      }
    } catch {
      if (run === live.run) retryLive(run);
      return;
    }
    if (run !== live.run) return;
    if (!ticket) {
      live.running = false; // nobody signed in: no stream until reconnect()
      return;
    }
    const after = live.lastEventId;
    const source = new EventSource(
      base + ticket.stream_url + (after ? "&after=" + encodeURIComponent(after) : ""),
    );
    live.source = source;
    let opened = false;
    const mine = (event) => {
      if (source !== live.source) return false;
      if (event.lastEventId) live.lastEventId = event.lastEventId;
      return true;
    };
    source.onopen = () => {
      opened = true;
      live.failures = 0;
      if (live.fresh) refresh(); // what happened while it could not resume
      live.fresh = false;
    };
    source.onerror = () => {
      if (source !== live.source) return;
      // Refused before it opened (a resume from too far back, too many streams, ...): the next
      // one starts from now, and every button is looked up again.
      if (!opened && after) {
        live.lastEventId = "";
        live.fresh = true;
      }
      retryLive(run);
    };
    source.addEventListener("close", (event) => {
      if (!mine(event)) return;
      const reason = (JSON.parse(event.data || "{}") || {}).reason;
      if (reason === "erased") { // this member is gone: nothing more to hear
        source.close();
        live.source = null;
      } else retryLive(run); // token_expired, too_slow, shutdown: resume with a new ticket
    });
    source.addEventListener("counts", (event) => {
      if (!mine(event)) return;
      window.ConnectButton.counts = JSON.parse(event.data);
      document.dispatchEvent(
        new CustomEvent("connect-button:counts", { detail: window.ConnectButton.counts }),
      );
    });
    const onEvent = (event) => {
      if (!mine(event)) return;
      const data = JSON.parse(event.data).data || {};
      const ids = MEMBER_KEYS.filter((key) => data[key] != null).map((key) => data[key]);
      if (ids.length) refresh(...ids); // batched with every other look-up of this frame
    };
    for (const type of FEED_TYPES) source.addEventListener(type, onEvent);
  }

  /** The stream starts over, from now: after the member signed in changed. */
  function reconnect() {
    stopLive();
    live.lastEventId = "";
    live.fresh = false;
    live.failures = 0;
    window.ConnectButton.counts = null;
    syncLive();
  }

  // --- words ----------------------------------------------------------------------------------

  const DAY = 86400000;

  function when(date, style) {
    const options =
      style === "date"
        ? { dateStyle: "long" }
        : style === "time"
          ? { timeStyle: "short" }
          : { dateStyle: "medium", timeStyle: "short" };
    return { date, text: new Intl.DateTimeFormat(config.locale, options).format(date) };
  }

  /** A moment from now, from the problem's `retry_after` or the Retry-After header. */
  function retryMoment(problem) {
    let seconds = Number(problem.retry_after);
    if (!Number.isFinite(seconds)) {
      const header = problem.retryAfterHeader;
      if (header && /^\d+$/.test(header.trim())) seconds = Number(header);
      else if (header && !Number.isNaN(Date.parse(header))) {
        return new Date(Date.parse(header));
      }
    }
    return Number.isFinite(seconds) ? new Date(Date.now() + seconds * 1000) : null;
  }

  /** "at 3:05 PM" today, else "on Dec 3, 2026, 3:05 PM". */
  function atOrOn(date) {
    const sameDay = new Date(date).toDateString() === new Date().toDateString();
    return sameDay ? ["at ", when(date, "time")] : ["on ", when(date, "datetime")];
  }

  const STATUS_WORDS = {
    accepted: "accepted",
    declined: "declined",
    withdrawn: "withdrawn",
    expired: "expired",
  };

  /**
   * A refusal in words: a list of strings and {date, text} parts (shown as <time>).
   * `problem` is a problem+json body, or a look-up's {code, until} when it says an invitation
   * would be refused.
   */
  function words(problem, name, memberId) {
    const who = name || "this member";
    const until = problem.until ? new Date(problem.until) : null;
    const retry = retryMoment(problem);
    switch (problem.code) {
      case "cooldown_active":
        return until
          ? ["You can invite " + who + " again on ", when(until, "date"), "."]
          : ["You can't invite " + who + " again just yet."];
      case "invitation_throttled": {
        const span = problem.window === "week" ? "this week's" : "the hourly";
        if (!problem.window && !retry) return ["You've reached your invitation limit for now."];
        return retry
          ? ["You've reached " + span + " invitation limit. You can send more invitations ",
             ...atOrOn(retry), "."]
          : ["You've reached " + span + " invitation limit."];
      }
      case "too_many_pending_invitations":
        return ["You have too many invitations waiting for an answer. Withdraw some to send more."];
      case "member_restricted":
        return until
          ? ["You can't send invitations until ", when(until, "datetime"), "."]
          : ["You can't send invitations for now."];
      case "invitation_not_allowed":
        return ["You can't invite " + who + ". You can still follow them."];
      case "connection_limit_reached": {
        const limit = problem.limit ? " of " + Number(problem.limit).toLocaleString() : "";
        return String(problem.member_id) === String(memberId)
          ? [who + " has reached the limit" + limit + " connections."]
          : ["You've reached the limit" + limit + " connections."];
      }
      case "already_connected":
        return ["You're already connected to " + who + "."];
      case "invitation_pending":
        return ["You've already invited " + who + "."];
      case "invitation_not_pending": {
        const status = STATUS_WORDS[problem.invitation_status];
        return [status ? "This invitation was " + status + " already." : "This invitation is no longer open."];
      }
      case "not_found":
        return [name ? name + " isn't available." : "This member isn't available."];
      case "cannot_invite_self":
      case "cannot_follow_self":
        return ["This is you."];
      case "message_too_long":
        return ["Your note is too long: at most " + problem.max_length + " characters."];
      case "unauthorized":
        return ["Sign in to connect."];
      case "invalid_token":
        return ["Your session has ended. Sign in again."];
      case "rate_limited":
      case "idempotency_key_in_use":
        return retry
          ? ["Too many requests just now. Try again ", ...atOrOn(retry), "."]
          : ["Too many requests just now. Try again in a moment."];
      case "service_unavailable":
      case "database_unavailable":
        return ["The service is busy. Try again in a moment."];
      case "network_error":
        return ["Can't reach the service. Check your connection and try again."];
      default:
        return [problem.detail || "Something went wrong. Try again."];
    }
  }

  function firstName(member) {
    return (member.display_name || member.handle || "").trim().split(/\s+/)[0];
  }

  /** "Ana is a mutual connection", "Ana and Ben are …", "Ana, Ben and 11 other …". */
  function mutualLine(count, preview) {
    const names = preview.map(firstName).filter(Boolean);
    if (count <= 0) return null;
    if (names.length === 0) {
      return count === 1 ? "1 mutual connection" : count.toLocaleString() + " mutual connections";
    }
    if (count === 1) return names[0] + " is a mutual connection";
    if (count === 2 && names.length >= 2) {
      return names[0] + " and " + names[1] + " are mutual connections";
    }
    const shown = names.slice(0, Math.min(2, names.length));
    const others = count - shown.length;
    const other = others === 1 ? " other mutual connection" : " other mutual connections";
    return shown.length === 1
      ? shown[0] + " and " + others.toLocaleString() + other
      : shown[0] + ", " + shown[1] + " and " + others.toLocaleString() + other;
  }

  const DEGREES = { 1: "1st", 2: "2nd", 3: "3rd" };

  // Reasons a look-up gives for `can_invite: false` that are worth a sentence under the button
  // (the others are what the button already shows: connected, pending, unavailable, yourself).
  const HINTS = new Set([
    "cooldown_active",
    "invitation_throttled",
    "too_many_pending_invitations",
    "member_restricted",
    "invitation_not_allowed",
    "connection_limit_reached",
  ]);

  // --- the element ----------------------------------------------------------------------------

  const STYLE = `
    :host { display: inline-block; font: var(--connect-button-font, 14px/1.4 system-ui, sans-serif);
            color: var(--connect-button-text, #1d2226); }
    :host([hidden]), :host([state="unavailable"]) { display: none; }
    .row { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
    button, a.primary { font: inherit; cursor: pointer; border-radius: var(--connect-button-radius, 16px);
            padding: 4px 14px; border: 1px solid var(--connect-button-accent, #0a66c2);
            background: var(--connect-button-background, transparent); color: var(--connect-button-accent, #0a66c2);
            font-weight: 600; text-decoration: none; display: inline-block; }
    button.primary, a.primary { background: var(--connect-button-accent, #0a66c2);
            color: var(--connect-button-accent-text, #fff); }
    button:focus-visible, a:focus-visible, textarea:focus-visible {
            outline: 2px solid var(--connect-button-accent, #0a66c2); outline-offset: 2px; }
    button:disabled { opacity: .6; cursor: default; }
    button.quiet { border-color: transparent; padding: 4px 8px; }
    button[aria-pressed="true"] { background: var(--connect-button-background, transparent);
            color: var(--connect-button-muted, #56687a); border-color: var(--connect-button-muted, #56687a); }
    .sent { color: var(--connect-button-muted, #56687a); font-weight: 600; }
    .degree { color: var(--connect-button-muted, #56687a); font-size: .85em; }
    .mutual, .hint { color: var(--connect-button-muted, #56687a); font-size: .85em; margin: 2px 0 0; }
    .status { font-size: .85em; margin: 2px 0 0; min-height: 0; }
    .status.refusal { color: var(--connect-button-danger, #b24020); }
    .status:empty, .hint:empty, .mutual:empty { display: none; }
    dialog { border: none; border-radius: 8px; padding: 16px 20px; max-width: min(90vw, 480px);
             width: 100%; box-shadow: 0 4px 24px rgba(0,0,0,.25); color: inherit; font: inherit; }
    dialog::backdrop { background: rgba(0,0,0,.4); }
    dialog h2 { font-size: 1.1em; margin: 0 0 8px; }
    textarea { width: 100%; box-sizing: border-box; min-height: 110px; font: inherit; padding: 6px; resize: vertical; }
    .count { font-size: .85em; color: var(--connect-button-muted, #56687a); margin: 4px 0 12px; }
    .count.over { color: var(--connect-button-danger, #b24020); }
    .actions { display: flex; justify-content: flex-end; gap: 8px; }
  `;

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === false || value == null) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child == null || child === false) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  /** Words as DOM: strings as text, dates as <time datetime>. */
  function sentence(parts) {
    return parts.map((part) =>
      typeof part === "string" ? part : h("time", { datetime: part.date.toISOString() }, part.text),
    );
  }

  function characters(text) {
    return [...text].length; // code points, as the service counts them
  }

  class ConnectButton extends HTMLElement {
    static get observedAttributes() {
      return ["member-id", "api-base", "live"];
    }

    constructor() {
      super();
      this._root = this.attachShadow({ mode: "open" });
      this._item = null;
      this._busy = false;
      this._acted = false;
      this._status = null; // {parts, refusal}
      this._root.append(h("style", {}, STYLE), h("div", { class: "body" }));
      this._body = this._root.querySelector(".body");
      this._live = h("p", { class: "status", role: "status", "aria-live": "polite" });
      this._dialog = null;
    }

    get _id() {
      const id = (this.getAttribute("member-id") || "").trim();
      return /^[1-9][0-9]{0,18}$/.test(id) ? id : null;
    }

    get _name() {
      return (this.getAttribute("member-name") || "").trim() || null;
    }

    _base() {
      const base = this.getAttribute("api-base");
      return (base != null ? base : config.baseUrl || "").replace(/\/+$/, "");
    }

    connectedCallback() {
      buttons.add(this);
      if (this.hasAttribute("live")) syncLive();
      if (!this._id) {
        this.setAttribute("state", "unavailable");
        return;
      }
      if (!this._item) this._render();
      schedule(this);
    }

    disconnectedCallback() {
      buttons.delete(this);
      waiting.delete(this);
      // Once the buttons that replace it (if any) are in: is a stream still wanted?
      if (this.hasAttribute("live")) queueMicrotask(syncLive);
    }

    attributeChangedCallback(name, before, after) {
      if (before === after || !this.isConnected) return;
      if (name === "live") return syncLive();
      this._item = null;
      this._status = null;
      this._live.replaceChildren();
      this._render();
      if (this._id) schedule(this);
    }

    /** The relationship, as the last look-up gave it. */
    get relationship() {
      return this._item;
    }

    refresh() {
      schedule(this);
    }

    _show(item) {
      // A change this button did not make (on another page, by the other member): what it
      // said about its own last action is past.
      if (!this._acted && this._item && this._item.action !== item.action) {
        this._status = null;
        this._live.replaceChildren();
      }
      this._acted = false;
      this._item = item;
      this._render();
    }

    _failed(problem) {
      this._item = null;
      this._say(words(problem, this._name, this._id), true);
      this._render();
    }

    _say(parts, refusal) {
      this._status = { parts, refusal };
      this._live.className = refusal ? "status refusal" : "status";
      this._live.replaceChildren(...sentence(parts));
    }

    async _act(did, method, path, body, done) {
      if (this._busy) return;
      this._busy = true;
      this._render();
      const id = this._id;
      try {
        await call(this._base(), method, path, body);
        this._say([done], false);
        this.dispatchEvent(
          new CustomEvent("connect-button:change", {
            bubbles: true,
            composed: true,
            detail: { memberId: Number(id), did, relationship: this._item },
          }),
        );
      } catch (error) {
        const problem = error instanceof Problem ? error.problem : { code: "error" };
        this._say(words(problem, this._name, id), true);
      } finally {
        this._busy = false;
        this._acted = true; // the look-up below shows what this action did
        refresh(id); // every button of this member, drawn from a fresh look-up
      }
    }

    _invite(note) {
      const body = { invitee_id: Number(this._id) };
      if (note.trim()) body.message = note;
      this._act("invite", "POST", "/v1/invitations", body, "Invitation sent.");
    }

    _openNote() {
      const max = Number(config.noteMaxLength) || 300;
      const who = this._name || "this member";
      const area = h("textarea", {
        id: "note",
        name: "note",
        "aria-describedby": "count",
        placeholder: "We met at …",
      });
      const count = h("p", { class: "count", id: "count", "aria-live": "polite" });
      const send = h("button", { class: "primary", type: "submit", value: "send" }, "Send");
      const update = () => {
        const left = max - characters(area.value);
        count.textContent =
          left >= 0
            ? left + (left === 1 ? " character left" : " characters left")
            : -left + (left === -1 ? " character too many" : " characters too many");
        count.classList.toggle("over", left < 0);
        send.disabled = left < 0;
      };
      area.addEventListener("input", update);
      update();
      const dialog = h(
        "dialog",
        { "aria-labelledby": "title" },
        h(
          "form",
          { method: "dialog" },
          h("h2", { id: "title" }, "Invite " + who + " to connect"),
          h("label", { for: "note" }, "Add a note (optional)"),
          area,
          count,
          h(
            "div",
            { class: "actions" },
            h("button", { type: "submit", value: "cancel", formnovalidate: true }, "Cancel"),
            send,
          ),
        ),
      );
      dialog.addEventListener("close", () => {
        const note = area.value;
        const sent = dialog.returnValue === "send";
        dialog.remove();
        this._dialog = null;
        if (sent) this._invite(note);
        else this._primary()?.focus();
      });
      this._dialog = dialog;
      this._root.append(dialog);
      dialog.showModal();
      area.focus();
    }

    _primary() {
      return this._body.querySelector(".primary, button");
    }

    _message() {
      const id = Number(this._id);
      if (typeof config.messageHref === "function") return config.messageHref(id);
      if (typeof config.messageHref === "string") return config.messageHref.replace("{id}", id);
      return null;
    }

    _render() {
      const item = this._item;
      const busy = this._busy;
      const name = this._name;
      const id = this._id;
      const base = "/v1/";
      this.setAttribute("state", item ? item.action : this._status ? "error" : "loading");
      this.setAttribute("aria-busy", String(busy || (!item && !this._status)));
      const row = h("div", { class: "row" });
      let hint = null;
      const follow = (primary) => {
        const on = item.following;
        return h(
          "button",
          {
            type: "button",
            class: primary ? (on ? "" : "primary") : "quiet",
            "aria-pressed": on ? "true" : "false",
            disabled: busy,
            onclick: () =>
              on
                ? this._act("unfollow", "DELETE", base + "follows/" + id, undefined,
                    "You've unfollowed " + (name || "this member") + ".")
                : this._act("follow", "PUT", base + "follows/" + id, undefined,
                    "You're following " + (name || "this member") + "."),
          },
          on ? "Following" : "Follow",
        );
      };
      if (!item) {
        if (!this._status) row.append(h("button", { type: "button", disabled: true }, "…"));
      } else {
        switch (item.action) {
          case "connect":
            row.append(
              h(
                "button",
                { type: "button", class: "primary", disabled: busy, "aria-haspopup": "dialog",
                  onclick: () => this._openNote() },
                "Connect",
              ),
              follow(false),
            );
            break;
          case "accept":
            row.append(
              h(
                "button",
                { type: "button", class: "primary", disabled: busy,
                  onclick: () => this._act("accept", "POST",
                    base + "invitations/" + item.invitation.id + "/accept", undefined,
                    "You're now connected" + (name ? " to " + name : "") + ".") },
                "Accept",
              ),
              h(
                "button",
                { type: "button", class: "quiet", disabled: busy,
                  onclick: () => this._act("ignore", "POST",
                    base + "invitations/" + item.invitation.id + "/decline",
                    { reason: "ignore" }, "Invitation ignored.") },
                "Ignore",
              ),
            );
            break;
          case "pending":
            row.append(
              h("span", { class: "sent" }, "Invitation sent"),
              h(
                "button",
                { type: "button", disabled: busy,
                  onclick: () => this._act("withdraw", "POST",
                    base + "invitations/" + item.invitation.id + "/withdraw", undefined,
                    "Invitation withdrawn.") },
                "Withdraw",
              ),
            );
            break;
          case "message": {
            const href = this._message();
            row.append(
              href
                ? h("a", { class: "primary", href }, "Message")
                : h(
                    "button",
                    { type: "button", class: "primary",
                      onclick: () => this.dispatchEvent(new CustomEvent("connect-button:message",
                        { bubbles: true, composed: true, detail: { memberId: Number(id) } })) },
                    "Message",
                  ),
              follow(false),
            );
            break;
          }
          case "follow":
            row.append(follow(true));
            break;
          default: // unavailable: shown as nothing at all, like a member that never existed
            break;
        }
        if (DEGREES[item.degree]) row.append(h("span", { class: "degree" }, "· " + DEGREES[item.degree]));
        if (!item.can_invite && HINTS.has(item.reason) && item.action === "follow") {
          hint = words({ code: item.reason, until: item.can_invite_after }, name, id);
        }
      }
      const line = item ? mutualLine(item.mutual_connections, item.mutual_preview || []) : null;
      // A redraw (after a look-up an event asked for, say) keeps the keyboard focus where it was.
      const controls = () => [...this._body.querySelectorAll("button, a")];
      const focused = controls().indexOf(this._root.activeElement);
      this._body.replaceChildren(
        row,
        h("p", { class: "mutual" }, line),
        h("p", { class: "hint" }, hint ? sentence(hint) : null),
        this._live, // kept across renders: what an action said stays until the next one
      );
      if (focused >= 0) (controls()[focused] || this._primary())?.focus();
    }
  }

  window.customElements.define("connect-button", ConnectButton);
  window.ConnectButton = {
    configure(options) {
      Object.assign(config, options || {});
      syncLive();
      return config;
    },
    refresh,
    reconnect,
    /** The badge's numbers from the stream's last `counts` event (null before the first). */
    counts: null,
    /** A problem+json body in words, as a button would say it (`name`: the member's). */
    describe(problem, name, memberId) {
      return words(problem || {}, name, memberId)
        .map((part) => (typeof part === "string" ? part : part.text))
        .join("");
    },
    config,
    element: ConnectButton,
  };
  syncLive(); // window.connectButtonConfig asked for it
})();
