/*
 * <connect-button member-id="42" member-name="Ada Lovelace"></connect-button>
 *
 * The reference Connect button of connect-api: a web component without a framework or a build
 * step. Every button on a page draws its state from one `GET /v1/relationships?ids=...`: the
 * buttons that appear in the same animation frame are looked up together, up to 100 ids (the
 * endpoint's limit) per request. A click does what the look-up offers (invite with a note,
 * accept or ignore, withdraw, follow or unfollow, message) and then looks the member up again.
 * Refusals (problem+json `code`s) are said in words, in the page's language.
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
 *   locale         the language of the words, dates and numbers, a BCP 47 tag ("fr",
 *                  "de-CH"); default: the `lang` of the button's closest element that has one,
 *                  else the browser's. Words come from the messages table of that tag, else of
 *                  its language ("de" for "de-CH"), else English, key by key.
 *   messages       words that replace the table's, whatever the locale: { connect: "Link" }
 *   showNote       true: every button shows the note of an invitation to accept (as if each
 *                  had `show-note`)
 *   live           true: keep the page live (see below), as if a button had `live`
 *
 * Attributes: `member-id` (required), `member-name` (the person, in every button's accessible
 * name — "Connect with Ada Lovelace", "Accept Ada Lovelace's invitation" — and in sentences:
 * "You can invite Ada Lovelace again on ..."), `api-base` (overrides baseUrl for this button),
 * `show-note` (when they invited you: their personal note above Accept and Ignore, which it
 * describes; read once per invitation with `GET /v1/invitations/{id}`, unless the page passed
 * the invitation to ConnectButton.knowInvitations), `live` (see below).
 *
 * Words: ConnectButton.messages is the table, one object of messages per language: English
 * ("en"), French ("fr") and German ("de") ship. ConnectButton.addMessages("pt", {...}) adds a
 * language or replaces some words of one; a missing key falls back to English. A message is a
 * string with {placeholders}, or, where a count decides, an object of Intl.PluralRules
 * categories ({one: "...", few: "...", many: "...", other: "..."}); numbers are formatted with
 * Intl.NumberFormat and dates and times with Intl.DateTimeFormat, in the locale. A problem's
 * words are the message named by its `code` (with variants: `cooldown_active_unknown`, ...);
 * a code without one says `unknownProblem` ("{detail}": the service's English detail, in
 * English). ConnectButton.say(key, values, locale) gives a message as text. Changing the
 * locale or the words with configure() or addMessages() redraws every button.
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
 * `connect-button:counts`; every feed event is dispatched on `document` as
 * `connect-button:event` (detail: {type, data}), for a page's own counts.
 *
 * Also: ConnectButton.refresh(...memberIds) looks those members (or, with none, every
 * button) up again; ConnectButton.describe(problem, name, memberId, locale) says a
 * problem+json body in the words a button would use; ConnectButton.knowInvitations(items)
 * takes invitations (`InvitationRead`s, as `GET /v1/invitations/received` lists them) whose
 * notes `show-note` then shows without a request; element.relationship is the last look-up's
 * item.
 *
 * Events (bubbling, composed): `connect-button:change` after an action succeeded
 * (detail: {memberId, did, relationship}), `connect-button:message` when Message is pressed
 * without a messageHref (detail: {memberId}); on `document`, `connect-button:counts`
 * (detail: {pending_received, unseen_received}) and `connect-button:event` (detail: {type,
 * data}).
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
    messages: null,
    showNote: false,
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
      document.dispatchEvent(
        new CustomEvent("connect-button:event", { detail: { type: event.type, data } }),
      );
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

  // One table per language. A message is a string with {placeholders}, or, where a count
  // decides, an object keyed by the Intl.PluralRules categories of its language. A problem's
  // words are keyed by its `code`.
  const MESSAGES = {
    en: {
      loading: "Loading…",
      someone: "this member",
      connect: "Connect",
      connectLabel: "Connect with {name}",
      follow: "Follow",
      followLabel: "Follow {name}",
      following: "Following",
      followingLabel: "Following {name}",
      accept: "Accept",
      acceptLabel: "Accept {name}'s invitation",
      ignore: "Ignore",
      ignoreLabel: "Ignore {name}'s invitation",
      pending: "Invitation sent",
      withdraw: "Withdraw",
      withdrawLabel: "Withdraw your invitation to {name}",
      message: "Message",
      messageLabel: "Message {name}",
      degree1: "1st",
      degree2: "2nd",
      degree3: "3rd",
      degree1Long: "1st-degree connection",
      degree2Long: "2nd-degree connection",
      degree3Long: "3rd-degree connection",
      mutualCount: { one: "{count} mutual connection", other: "{count} mutual connections" },
      mutualOne: "{a} is a mutual connection",
      mutualTwo: "{a} and {b} are mutual connections",
      mutualOneAndOthers: {
        one: "{a} and {count} other mutual connection",
        other: "{a} and {count} other mutual connections",
      },
      mutualTwoAndOthers: {
        one: "{a}, {b} and {count} other mutual connection",
        other: "{a}, {b} and {count} other mutual connections",
      },
      noteFrom: "{name}'s note:",
      note: "“{note}”",
      inviteTitle: "Invite {name} to connect",
      noteLabel: "Add a note (optional)",
      notePlaceholder: "We met at …",
      charactersLeft: { one: "{count} character left", other: "{count} characters left" },
      charactersOver: { one: "{count} character too many", other: "{count} characters too many" },
      cancel: "Cancel",
      send: "Send",
      sent: "Invitation sent.",
      accepted: "You're now connected to {name}.",
      acceptedSomeone: "You're now connected.",
      ignored: "Invitation ignored.",
      withdrawn: "Invitation withdrawn.",
      followed: "You're following {name}.",
      unfollowed: "You've unfollowed {name}.",
      atTime: "at {time}",
      onDate: "on {date}",
      cooldown_active: "You can invite {name} again on {date}.",
      cooldown_active_unknown: "You can't invite {name} again just yet.",
      invitation_throttled: "You've reached your invitation limit for now.",
      invitation_throttled_hour: "You've reached the hourly invitation limit.",
      invitation_throttled_week: "You've reached this week's invitation limit.",
      invitation_throttled_hour_retry:
        "You've reached the hourly invitation limit. You can send more invitations {when}.",
      invitation_throttled_week_retry:
        "You've reached this week's invitation limit. You can send more invitations {when}.",
      too_many_pending_invitations:
        "You have too many invitations waiting for an answer. Withdraw some to send more.",
      member_restricted: "You can't send invitations until {date}.",
      member_restricted_unknown: "You can't send invitations for now.",
      invitation_not_allowed: "You can't invite {name}. You can still follow them.",
      connection_limit_reached_them: "{name} has reached the limit of {limit} connections.",
      connection_limit_reached_them_unknown: "{name} has reached their limit of connections.",
      connection_limit_reached_you: "You've reached the limit of {limit} connections.",
      connection_limit_reached_you_unknown: "You've reached your limit of connections.",
      already_connected: "You're already connected to {name}.",
      invitation_pending: "You've already invited {name}.",
      invitation_not_pending: "This invitation is no longer open.",
      invitation_not_pending_accepted: "This invitation was accepted already.",
      invitation_not_pending_declined: "This invitation was declined already.",
      invitation_not_pending_withdrawn: "This invitation was withdrawn already.",
      invitation_not_pending_expired: "This invitation expired already.",
      not_found: "{name} isn't available.",
      not_found_someone: "This member isn't available.",
      cannot_invite_self: "This is you.",
      cannot_follow_self: "This is you.",
      message_too_long: {
        one: "Your note is too long: at most {count} character.",
        other: "Your note is too long: at most {count} characters.",
      },
      unauthorized: "Sign in to connect.",
      invalid_token: "Your session has ended. Sign in again.",
      rate_limited: "Too many requests just now. Try again {when}.",
      rate_limited_unknown: "Too many requests just now. Try again in a moment.",
      service_unavailable: "The service is busy. Try again in a moment.",
      network_error: "Can't reach the service. Check your connection and try again.",
      unknownProblem: "{detail}",
      error: "Something went wrong. Try again.",
    },
    fr: {
      loading: "Chargement…",
      someone: "ce membre",
      connect: "Se connecter",
      connectLabel: "Se connecter avec {name}",
      follow: "Suivre",
      followLabel: "Suivre {name}",
      following: "Suivi",
      followingLabel: "Suivi : {name}",
      accept: "Accepter",
      acceptLabel: "Accepter l’invitation de {name}",
      ignore: "Ignorer",
      ignoreLabel: "Ignorer l’invitation de {name}",
      pending: "Invitation envoyée",
      withdraw: "Retirer",
      withdrawLabel: "Retirer votre invitation à {name}",
      message: "Message",
      messageLabel: "Message à {name}",
      degree1: "1er",
      degree2: "2e",
      degree3: "3e",
      degree1Long: "relation de 1er niveau",
      degree2Long: "relation de 2e niveau",
      degree3Long: "relation de 3e niveau",
      mutualCount: { one: "{count} relation en commun", other: "{count} relations en commun" },
      mutualOne: "{a} est une relation en commun",
      mutualTwo: "{a} et {b} sont des relations en commun",
      mutualOneAndOthers: {
        one: "{a} et {count} autre relation en commun",
        other: "{a} et {count} autres relations en commun",
      },
      mutualTwoAndOthers: {
        one: "{a}, {b} et {count} autre relation en commun",
        other: "{a}, {b} et {count} autres relations en commun",
      },
      noteFrom: "Note de {name} :",
      note: "« {note} »",
      inviteTitle: "Inviter {name} à se connecter",
      noteLabel: "Ajouter une note (facultatif)",
      notePlaceholder: "Nous nous sommes rencontrés à …",
      charactersLeft: { one: "{count} caractère restant", other: "{count} caractères restants" },
      charactersOver: { one: "{count} caractère de trop", other: "{count} caractères de trop" },
      cancel: "Annuler",
      send: "Envoyer",
      sent: "Invitation envoyée.",
      accepted: "Vous êtes maintenant en relation avec {name}.",
      acceptedSomeone: "Vous êtes maintenant en relation.",
      ignored: "Invitation ignorée.",
      withdrawn: "Invitation retirée.",
      followed: "Vous suivez {name}.",
      unfollowed: "Vous ne suivez plus {name}.",
      atTime: "à {time}",
      onDate: "le {date}",
      cooldown_active: "Vous pourrez de nouveau inviter {name} le {date}.",
      cooldown_active_unknown: "Vous ne pouvez pas encore inviter {name} de nouveau.",
      invitation_throttled: "Vous avez atteint votre limite d’invitations pour le moment.",
      invitation_throttled_hour: "Vous avez atteint la limite d’invitations par heure.",
      invitation_throttled_week: "Vous avez atteint la limite d’invitations de la semaine.",
      invitation_throttled_hour_retry:
        "Vous avez atteint la limite d’invitations par heure. Vous pourrez en envoyer d’autres {when}.",
      invitation_throttled_week_retry:
        "Vous avez atteint la limite d’invitations de la semaine. Vous pourrez en envoyer d’autres {when}.",
      too_many_pending_invitations:
        "Trop de vos invitations attendent une réponse. Retirez-en pour en envoyer d’autres.",
      member_restricted: "Vous ne pouvez pas envoyer d’invitations avant le {date}.",
      member_restricted_unknown: "Vous ne pouvez pas envoyer d’invitations pour le moment.",
      invitation_not_allowed: "Vous ne pouvez pas inviter {name}. Vous pouvez tout de même suivre ce membre.",
      connection_limit_reached_them: "{name} a atteint la limite de {limit} relations.",
      connection_limit_reached_them_unknown: "{name} a atteint sa limite de relations.",
      connection_limit_reached_you: "Vous avez atteint la limite de {limit} relations.",
      connection_limit_reached_you_unknown: "Vous avez atteint votre limite de relations.",
      already_connected: "Vous êtes déjà en relation avec {name}.",
      invitation_pending: "Vous avez déjà invité {name}.",
      invitation_not_pending: "Cette invitation n’est plus ouverte.",
      invitation_not_pending_accepted: "Cette invitation a déjà été acceptée.",
      invitation_not_pending_declined: "Cette invitation a déjà été refusée.",
      invitation_not_pending_withdrawn: "Cette invitation a déjà été retirée.",
      invitation_not_pending_expired: "Cette invitation a déjà expiré.",
      not_found: "{name} n’est pas disponible.",
      not_found_someone: "Ce membre n’est pas disponible.",
      cannot_invite_self: "C’est vous.",
      cannot_follow_self: "C’est vous.",
      message_too_long: {
        one: "Votre note est trop longue : {count} caractère au plus.",
        other: "Votre note est trop longue : {count} caractères au plus.",
      },
      unauthorized: "Connectez-vous pour entrer en relation.",
      invalid_token: "Votre session a pris fin. Reconnectez-vous.",
      rate_limited: "Trop de requêtes pour l’instant. Réessayez {when}.",
      rate_limited_unknown: "Trop de requêtes pour l’instant. Réessayez dans un moment.",
      service_unavailable: "Le service est occupé. Réessayez dans un moment.",
      network_error: "Impossible de joindre le service. Vérifiez votre connexion et réessayez.",
      unknownProblem: "Une erreur s’est produite. Réessayez.",
      error: "Une erreur s’est produite. Réessayez.",
    },
    de: {
      loading: "Wird geladen…",
      someone: "dieses Mitglied",
      connect: "Vernetzen",
      connectLabel: "Mit {name} vernetzen",
      follow: "Folgen",
      followLabel: "{name} folgen",
      following: "Gefolgt",
      followingLabel: "{name} gefolgt",
      accept: "Annehmen",
      acceptLabel: "Einladung von {name} annehmen",
      ignore: "Ignorieren",
      ignoreLabel: "Einladung von {name} ignorieren",
      pending: "Einladung gesendet",
      withdraw: "Zurückziehen",
      withdrawLabel: "Einladung an {name} zurückziehen",
      message: "Nachricht",
      messageLabel: "Nachricht an {name}",
      degree1: "1.",
      degree2: "2.",
      degree3: "3.",
      degree1Long: "Kontakt 1. Grades",
      degree2Long: "Kontakt 2. Grades",
      degree3Long: "Kontakt 3. Grades",
      mutualCount: { one: "{count} gemeinsamer Kontakt", other: "{count} gemeinsame Kontakte" },
      mutualOne: "{a} ist ein gemeinsamer Kontakt",
      mutualTwo: "{a} und {b} sind gemeinsame Kontakte",
      mutualOneAndOthers: {
        one: "{a} und {count} weiterer gemeinsamer Kontakt",
        other: "{a} und {count} weitere gemeinsame Kontakte",
      },
      mutualTwoAndOthers: {
        one: "{a}, {b} und {count} weiterer gemeinsamer Kontakt",
        other: "{a}, {b} und {count} weitere gemeinsame Kontakte",
      },
      noteFrom: "Nachricht von {name}:",
      note: "„{note}“",
      inviteTitle: "{name} zum Vernetzen einladen",
      noteLabel: "Nachricht hinzufügen (optional)",
      notePlaceholder: "Wir haben uns bei … kennengelernt",
      charactersLeft: { one: "Noch {count} Zeichen", other: "Noch {count} Zeichen" },
      charactersOver: { one: "{count} Zeichen zu viel", other: "{count} Zeichen zu viel" },
      cancel: "Abbrechen",
      send: "Senden",
      sent: "Einladung gesendet.",
      accepted: "Sie sind jetzt mit {name} vernetzt.",
      acceptedSomeone: "Sie sind jetzt vernetzt.",
      ignored: "Einladung ignoriert.",
      withdrawn: "Einladung zurückgezogen.",
      followed: "Sie folgen {name}.",
      unfollowed: "Sie folgen {name} nicht mehr.",
      atTime: "um {time}",
      onDate: "am {date}",
      cooldown_active: "Sie können {name} am {date} wieder einladen.",
      cooldown_active_unknown: "Sie können {name} noch nicht wieder einladen.",
      invitation_throttled: "Sie haben Ihr Limit an Einladungen vorerst erreicht.",
      invitation_throttled_hour: "Sie haben das stündliche Limit an Einladungen erreicht.",
      invitation_throttled_week: "Sie haben das Limit an Einladungen für diese Woche erreicht.",
      invitation_throttled_hour_retry:
        "Sie haben das stündliche Limit an Einladungen erreicht. Weitere Einladungen können Sie {when} senden.",
      invitation_throttled_week_retry:
        "Sie haben das Limit an Einladungen für diese Woche erreicht. Weitere Einladungen können Sie {when} senden.",
      too_many_pending_invitations:
        "Zu viele Ihrer Einladungen warten auf Antwort. Ziehen Sie einige zurück, um weitere zu senden.",
      member_restricted: "Sie können bis {date} keine Einladungen senden.",
      member_restricted_unknown: "Sie können vorerst keine Einladungen senden.",
      invitation_not_allowed: "Sie können {name} nicht einladen. Folgen können Sie trotzdem.",
      connection_limit_reached_them: "{name} hat das Limit von {limit} Kontakten erreicht.",
      connection_limit_reached_them_unknown: "{name} hat das Limit an Kontakten erreicht.",
      connection_limit_reached_you: "Sie haben das Limit von {limit} Kontakten erreicht.",
      connection_limit_reached_you_unknown: "Sie haben Ihr Limit an Kontakten erreicht.",
      already_connected: "Sie sind bereits mit {name} vernetzt.",
      invitation_pending: "Sie haben {name} bereits eingeladen.",
      invitation_not_pending: "Diese Einladung ist nicht mehr offen.",
      invitation_not_pending_accepted: "Diese Einladung wurde bereits angenommen.",
      invitation_not_pending_declined: "Diese Einladung wurde bereits abgelehnt.",
      invitation_not_pending_withdrawn: "Diese Einladung wurde bereits zurückgezogen.",
      invitation_not_pending_expired: "Diese Einladung ist bereits abgelaufen.",
      not_found: "{name} ist nicht verfügbar.",
      not_found_someone: "Dieses Mitglied ist nicht verfügbar.",
      cannot_invite_self: "Das sind Sie.",
      cannot_follow_self: "Das sind Sie.",
      message_too_long: {
        one: "Ihre Nachricht ist zu lang: höchstens {count} Zeichen.",
        other: "Ihre Nachricht ist zu lang: höchstens {count} Zeichen.",
      },
      unauthorized: "Melden Sie sich an, um sich zu vernetzen.",
      invalid_token: "Ihre Sitzung ist abgelaufen. Melden Sie sich erneut an.",
      rate_limited: "Gerade zu viele Anfragen. Versuchen Sie es {when} erneut.",
      rate_limited_unknown: "Gerade zu viele Anfragen. Versuchen Sie es gleich noch einmal.",
      service_unavailable: "Der Dienst ist ausgelastet. Versuchen Sie es gleich noch einmal.",
      network_error: "Der Dienst ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.",
      unknownProblem: "Etwas ist schiefgelaufen. Versuchen Sie es erneut.",
      error: "Etwas ist schiefgelaufen. Versuchen Sie es erneut.",
    },
  };
  // Codes that say the same as another's words.
  const SAME_AS = {
    idempotency_key_in_use: "rate_limited",
    database_unavailable: "service_unavailable",
  };

  /** Add a language, or replace some words of one (`locale`: "pt", "pt-BR", ...). */
  function addMessages(locale, messages) {
    const key = String(locale || "en").toLowerCase();
    MESSAGES[key] = Object.assign(MESSAGES[key] || {}, messages || {});
    redraw();
  }

  /** The tables that speak for a locale, most specific first, English last. */
  function tablesFor(locale) {
    const tag = String(locale || "en").toLowerCase();
    const tables = [];
    for (const key of [tag, tag.split("-")[0], "en"]) {
      if (MESSAGES[key] && !tables.includes(MESSAGES[key])) tables.push(MESSAGES[key]);
    }
    return tables;
  }

  /** The language the words for this locale are in: a table's, else English. */
  function languageOf(locale) {
    const tag = String(locale || "en").toLowerCase();
    if (MESSAGES[tag]) return locale;
    return MESSAGES[tag.split("-")[0]] ? tag.split("-")[0] : "en";
  }

  const pluralRules = new Map();
  function plural(locale, count) {
    const lang = languageOf(locale);
    if (!pluralRules.has(lang)) pluralRules.set(lang, new Intl.PluralRules(lang));
    return pluralRules.get(lang).select(count);
  }

  function number(locale, value) {
    try {
      return new Intl.NumberFormat(locale).format(value);
    } catch {
      return String(value);
    }
  }

  /**
   * A message as parts: strings, and {date, text} for dates (shown as <time>). `values`
   * fill its {placeholders}: numbers are formatted, a `count` chooses the plural form.
   */
  function t(locale, key, values) {
    const vars = values || {};
    let message = config.messages && config.messages[key];
    if (message == null) {
      for (const table of tablesFor(locale)) {
        if (table[key] != null) {
          message = table[key];
          break;
        }
      }
    }
    if (message == null) return [key];
    if (typeof message === "object") {
      const count = Number(vars.count);
      message = message[plural(locale, count)] ?? message.other ?? Object.values(message)[0];
    }
    const parts = [];
    for (const [i, piece] of String(message).split(/\{(\w+)\}/).entries()) {
      if (i % 2 === 0) {
        if (piece) parts.push(piece);
        continue;
      }
      const value = vars[piece];
      if (value == null) parts.push("{" + piece + "}");
      else if (Array.isArray(value)) parts.push(...value);
      else if (typeof value === "object") parts.push(value);
      else parts.push(typeof value === "number" ? number(locale, value) : String(value));
    }
    return parts;
  }

  /** A message as text. */
  function text(locale, key, values) {
    return plain(t(locale, key, values));
  }

  function plain(parts) {
    return parts.map((part) => (typeof part === "string" ? part : part.text)).join("");
  }

  function when(locale, date, style) {
    const options =
      style === "date"
        ? { dateStyle: "long" }
        : style === "time"
          ? { timeStyle: "short" }
          : { dateStyle: "medium", timeStyle: "short" };
    return { date, text: new Intl.DateTimeFormat(locale, options).format(date) };
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
  function atOrOn(locale, date) {
    const sameDay = new Date(date).toDateString() === new Date().toDateString();
    return sameDay
      ? t(locale, "atTime", { time: when(locale, date, "time") })
      : t(locale, "onDate", { date: when(locale, date, "datetime") });
  }

  /**
   * A refusal in words: a list of strings and {date, text} parts (shown as <time>).
   * `problem` is a problem+json body, or a look-up's {code, until} when it says an invitation
   * would be refused.
   */
  function words(locale, problem, name, memberId) {
    const say = (key, values) => t(locale, key, { name: name || text(locale, "someone"), ...values });
    const until = problem.until ? new Date(problem.until) : null;
    const retry = retryMoment(problem);
    const code = SAME_AS[problem.code] || problem.code;
    switch (code) {
      case "cooldown_active":
        return until ? say(code, { date: when(locale, until, "date") }) : say(code + "_unknown");
      case "invitation_throttled": {
        const span = problem.window === "week" ? "_week" : "_hour";
        if (!problem.window && !retry) return say(code);
        return retry ? say(code + span + "_retry", { when: atOrOn(locale, retry) }) : say(code + span);
      }
      case "member_restricted":
        return until ? say(code, { date: when(locale, until, "datetime") }) : say(code + "_unknown");
      case "connection_limit_reached": {
        const whose = String(problem.member_id) === String(memberId) ? "_them" : "_you";
        return problem.limit
          ? say(code + whose, { limit: Number(problem.limit) })
          : say(code + whose + "_unknown");
      }
      case "invitation_not_pending": {
        const status = problem.invitation_status;
        const key = code + "_" + status;
        return ["accepted", "declined", "withdrawn", "expired"].includes(status) ? say(key) : say(code);
      }
      case "not_found":
        return name ? say(code) : say(code + "_someone");
      case "message_too_long":
        return say(code, { count: Number(problem.max_length) || 0 });
      case "rate_limited":
        return retry ? say(code, { when: atOrOn(locale, retry) }) : say(code + "_unknown");
      case "too_many_pending_invitations":
      case "invitation_not_allowed":
      case "already_connected":
      case "invitation_pending":
      case "cannot_invite_self":
      case "cannot_follow_self":
      case "unauthorized":
      case "invalid_token":
      case "service_unavailable":
      case "network_error":
        return say(code);
      default:
        return problem.detail ? say("unknownProblem", { detail: problem.detail }) : say("error");
    }
  }

  function firstName(member) {
    return (member.display_name || member.handle || "").trim().split(/\s+/)[0];
  }

  /** "Ana is a mutual connection", "Ana and Ben are …", "Ana, Ben and 11 other …". */
  function mutualLine(locale, count, preview) {
    const names = preview.map(firstName).filter(Boolean);
    if (count <= 0) return null;
    if (names.length === 0) return text(locale, "mutualCount", { count });
    if (count === 1) return text(locale, "mutualOne", { a: names[0] });
    if (count === 2 && names.length >= 2) return text(locale, "mutualTwo", { a: names[0], b: names[1] });
    const shown = names.slice(0, Math.min(2, names.length));
    const others = count - shown.length;
    return shown.length === 1
      ? text(locale, "mutualOneAndOthers", { a: shown[0], count: others })
      : text(locale, "mutualTwoAndOthers", { a: shown[0], b: shown[1], count: others });
  }

  const DEGREES = { 1: "degree1", 2: "degree2", 3: "degree3" };

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

  // --- the notes of invitations to accept ------------------------------------------------------

  const notes = new Map(); // invitation id -> its message (null: none), once known
  const noteLookUps = new Map(); // invitation id -> the request under way

  /** Invitations (InvitationRead) whose notes the page already has: no request for them. */
  function knowInvitations(items) {
    for (const item of items || []) {
      if (item && item.id != null) notes.set(String(item.id), item.message ?? null);
    }
    redraw();
  }

  /** The note of invitation `id`: known, or read once (and the buttons drawn again then). */
  function noteOf(base, id) {
    const key = String(id);
    if (notes.has(key)) return notes.get(key);
    if (!noteLookUps.has(key)) {
      noteLookUps.set(
        key,
        call(base, "GET", "/v1/invitations/" + encodeURIComponent(key))
          .then((invitation) => notes.set(key, (invitation && invitation.message) ?? null))
          .catch(() => notes.set(key, null))
          .finally(() => {
            noteLookUps.delete(key);
            redraw();
          }),
      );
    }
    return undefined;
  }

  /** Every button drawn again (the words or the notes changed). */
  function redraw() {
    for (const button of buttons) if (button._id) button._render();
  }

  // --- the element ----------------------------------------------------------------------------

  const STYLE = `
    :host { display: inline-block; font: var(--connect-button-font, 14px/1.4 system-ui, sans-serif);
            color: var(--connect-button-text, #1d2226); max-width: 100%; }
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
    .note { margin: 0 0 6px; padding: 2px 0 2px 10px; border-left: 3px solid var(--connect-button-muted, #56687a);
            font-style: italic; overflow-wrap: anywhere; white-space: pre-line; }
    .status { font-size: .85em; margin: 2px 0 0; min-height: 0; }
    .status.refusal { color: var(--connect-button-danger, #b24020); }
    .status:empty, .hint:empty, .mutual:empty { display: none; }
    .vh { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
          clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; border: 0; }
    dialog { border: none; border-radius: 8px; padding: 16px 20px; max-width: min(90vw, 480px);
             width: 100%; box-sizing: border-box; box-shadow: 0 4px 24px rgba(0,0,0,.25); color: inherit;
             font: inherit; background: #fff; }
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
      return ["member-id", "api-base", "live", "member-name", "show-note"];
    }

    constructor() {
      super();
      this._root = this.attachShadow({ mode: "open" });
      this._item = null;
      this._busy = false;
      this._acted = false;
      this._status = null; // {key, refusal}: what the last action or look-up said
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

    /** The locale of this button's words, dates and numbers. */
    get _locale() {
      if (config.locale) return config.locale;
      const marked = this.closest("[lang]");
      return (marked && marked.getAttribute("lang")) || navigator.language || "en";
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
      if (name === "member-name" || name === "show-note") return this._render();
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
      this._say((locale) => words(locale, problem, this._name, this._id), true);
      this._render();
    }

    /** Say something in the live region; `say(locale)` gives its parts (again, if the words change). */
    _say(say, refusal) {
      this._status = { say, refusal };
      this._sayAgain();
    }

    _sayAgain() {
      const status = this._status;
      if (!status) return;
      this._live.className = status.refusal ? "status refusal" : "status";
      const parts = status.say(this._locale);
      if (plain(parts) !== this._live.textContent) this._live.replaceChildren(...sentence(parts));
    }

    _t(key, values) {
      return text(this._locale, key, { name: this._name || text(this._locale, "someone"), ...values });
    }

    /** The accessible name of a control: the message with the person, when the page named them. */
    _label(key) {
      return this._name ? this._t(key) : null;
    }

    async _act(did, method, path, body, done) {
      if (this._busy) return;
      this._busy = true;
      this._render();
      const id = this._id;
      try {
        await call(this._base(), method, path, body);
        this._say(done, false);
        this.dispatchEvent(
          new CustomEvent("connect-button:change", {
            bubbles: true,
            composed: true,
            detail: { memberId: Number(id), did, relationship: this._item },
          }),
        );
      } catch (error) {
        const problem = error instanceof Problem ? error.problem : { code: "error" };
        this._say((locale) => words(locale, problem, this._name, id), true);
      } finally {
        this._busy = false;
        this._acted = true; // the look-up below shows what this action did
        refresh(id); // every button of this member, drawn from a fresh look-up
      }
    }

    _done(key) {
      return (locale) => t(locale, key, { name: this._name || text(locale, "someone") });
    }

    _invite(note) {
      const body = { invitee_id: Number(this._id) };
      if (note.trim()) body.message = note;
      this._act("invite", "POST", "/v1/invitations", body, this._done("sent"));
    }

    _openNote() {
      const max = Number(config.noteMaxLength) || 300;
      const area = h("textarea", {
        id: "note",
        name: "note",
        "aria-describedby": "count",
        placeholder: this._t("notePlaceholder"),
      });
      const count = h("p", { class: "count", id: "count", "aria-live": "polite" });
      const send = h("button", { class: "primary", type: "submit", value: "send" }, this._t("send"));
      const update = () => {
        const left = max - characters(area.value);
        count.textContent =
          left >= 0 ? this._t("charactersLeft", { count: left }) : this._t("charactersOver", { count: -left });
        count.classList.toggle("over", left < 0);
        send.disabled = left < 0;
      };
      area.addEventListener("input", update);
      update();
      const dialog = h(
        "dialog",
        { "aria-labelledby": "title", lang: languageOf(this._locale) },
        h(
          "form",
          { method: "dialog" },
          h("h2", { id: "title" }, this._t("inviteTitle")),
          h("label", { for: "note" }, this._t("noteLabel")),
          area,
          count,
          h(
            "div",
            { class: "actions" },
            h("button", { type: "submit", value: "cancel", formnovalidate: true }, this._t("cancel")),
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
      const id = this._id;
      const locale = this._locale;
      const base = "/v1/";
      this.setAttribute("state", item ? item.action : this._status ? "error" : "loading");
      this.setAttribute("aria-busy", String(busy || (!item && !this._status)));
      this._body.setAttribute("lang", languageOf(locale));
      const row = h("div", { class: "row" });
      let hint = null;
      let note = null;
      const follow = (primary) => {
        const on = item.following;
        return h(
          "button",
          {
            type: "button",
            class: primary ? (on ? "" : "primary") : "quiet",
            "aria-pressed": on ? "true" : "false",
            "aria-label": this._label(on ? "followingLabel" : "followLabel"),
            disabled: busy,
            onclick: () =>
              on
                ? this._act("unfollow", "DELETE", base + "follows/" + id, undefined, this._done("unfollowed"))
                : this._act("follow", "PUT", base + "follows/" + id, undefined, this._done("followed")),
          },
          this._t(on ? "following" : "follow"),
        );
      };
      if (!item) {
        if (!this._status) row.append(h("button", { type: "button", disabled: true }, this._t("loading")));
      } else {
        switch (item.action) {
          case "connect":
            row.append(
              h(
                "button",
                { type: "button", class: "primary", disabled: busy, "aria-haspopup": "dialog",
                  "aria-label": this._label("connectLabel"), onclick: () => this._openNote() },
                this._t("connect"),
              ),
              follow(false),
            );
            break;
          case "accept": {
            const invitation = item.invitation.id;
            if (this.hasAttribute("show-note") || config.showNote) {
              const message = noteOf(this._base(), invitation);
              if (message) {
                note = h(
                  "p",
                  { class: "note", id: "invitation-note" },
                  h("span", { class: "vh" }, this._t("noteFrom") + " "),
                  this._t("note", { note: message }),
                );
              }
            }
            row.append(
              h(
                "button",
                { type: "button", class: "primary", disabled: busy,
                  "aria-label": this._label("acceptLabel"), "aria-describedby": note ? "invitation-note" : null,
                  onclick: () => this._act("accept", "POST",
                    base + "invitations/" + invitation + "/accept", undefined,
                    this._name ? this._done("accepted") : this._done("acceptedSomeone")) },
                this._t("accept"),
              ),
              h(
                "button",
                { type: "button", class: "quiet", disabled: busy, "aria-label": this._label("ignoreLabel"),
                  onclick: () => this._act("ignore", "POST",
                    base + "invitations/" + invitation + "/decline",
                    { reason: "ignore" }, this._done("ignored")) },
                this._t("ignore"),
              ),
            );
            break;
          }
          case "pending":
            row.append(
              h("span", { class: "sent" }, this._t("pending")),
              h(
                "button",
                { type: "button", disabled: busy, "aria-label": this._label("withdrawLabel"),
                  onclick: () => this._act("withdraw", "POST",
                    base + "invitations/" + item.invitation.id + "/withdraw", undefined,
                    this._done("withdrawn")) },
                this._t("withdraw"),
              ),
            );
            break;
          case "message": {
            const href = this._message();
            const label = this._label("messageLabel");
            row.append(
              href
                ? h("a", { class: "primary", href, "aria-label": label }, this._t("message"))
                : h(
                    "button",
                    { type: "button", class: "primary", "aria-label": label,
                      onclick: () => this.dispatchEvent(new CustomEvent("connect-button:message",
                        { bubbles: true, composed: true, detail: { memberId: Number(id) } })) },
                    this._t("message"),
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
        const degree = DEGREES[item.degree];
        if (degree) {
          // Seen as "· 2nd", heard as "2nd-degree connection".
          row.append(
            h(
              "span",
              { class: "degree" },
              h("span", { "aria-hidden": "true" }, "· " + this._t(degree)),
              h("span", { class: "vh" }, this._t(degree + "Long")),
            ),
          );
        }
        if (!item.can_invite && HINTS.has(item.reason) && item.action === "follow") {
          hint = words(locale, { code: item.reason, until: item.can_invite_after }, this._name, id);
        }
      }
      const line = item ? mutualLine(locale, item.mutual_connections, item.mutual_preview || []) : null;
      this._sayAgain(); // in the words of the locale, should it have changed
      // A redraw (after a look-up an event asked for, say) keeps the keyboard focus where it was.
      const controls = () => [...this._body.querySelectorAll("button, a")];
      const focused = controls().indexOf(this._root.activeElement);
      this._body.replaceChildren(
        ...(note ? [note] : []),
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
      redraw(); // the locale or the words may have changed
      return config;
    },
    refresh,
    reconnect,
    addMessages,
    knowInvitations,
    /** The messages table: language -> key -> message. */
    messages: MESSAGES,
    /** A message as text, in `locale` (default: the configured one, else the browser's). */
    say(key, values, locale) {
      return text(locale || config.locale || navigator.language, key, values);
    },
    /** The badge's numbers from the stream's last `counts` event (null before the first). */
    counts: null,
    /** A problem+json body in words, as a button would say it (`name`: the member's). */
    describe(problem, name, memberId, locale) {
      return plain(words(locale || config.locale || navigator.language, problem || {}, name, memberId));
    },
    config,
    element: ConnectButton,
  };
  syncLive(); // window.connectButtonConfig asked for it
})();
