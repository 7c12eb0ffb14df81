// Bofast PWA page script (DESIGN §5): registers the service worker (after load, in idle time),
// labels pages that came from the offline store, gives htmx requests a time limit (a stalled
// connection must not leave a spinner), falls back to a real navigation when a boosted one fails
// or stalls, keeps today's forms ready for offline use, and guards logout while the outbox still
// holds unsent work.
(function () {
  "use strict";

  var SW_URL = "/sw.js"; // fixed interface (DESIGN §10): served from a route, scope "/"
  var FORM_PAGES = [/^\/participants\/\d+\/checklists\/new$/, /^\/participants\/\d+\/appointments\/\d+\/outcome$/];
  var FORM_LINKS = 'main a[href*="/checklists/new"], main a[href*="/outcome"]';
  var MAX_WARM = 20;
  var ME_PAGES = ["/me/contacts", "/me/appointments", "/me/offline"];
  // A boosted link waits as long as the service worker's navigation (sw.js NETWORK_WAIT_MS), then
  // becomes a real navigation the worker answers; other htmx requests (forms, fragments) get
  // longer, then say "Ingen kontakt just nu" where the answer would have gone.
  var BOOSTED_GET_TIMEOUT_MS = 3000;
  var REQUEST_TIMEOUT_MS = 10000;

  var common = window.BofastCommon;
  var msg = common.msg;
  var report = common.report;

  function dateLocale() { return document.documentElement.lang === "en" ? "en-GB" : "sv-SE"; }

  function hasWorker() { return "serviceWorker" in navigator; }

  // Work for later (the worker, offline copies) waits for idle time, at most IDLE_WAIT_MS.
  var IDLE_WAIT_MS = 2000;
  function whenIdle(task) { common.whenIdle(task, IDLE_WAIT_MS); }
  function afterLoad(task) { common.afterLoad(task, IDLE_WAIT_MS); }

  // After the page's load event and in idle time: the worker's install downloads the whole
  // shell, which must not compete with this page's own requests and first paint.
  function register() {
    if (!hasWorker()) return;
    navigator.serviceWorker.register(SW_URL, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // After a logout cleared Cache Storage, the worker fetches its shell again.
      if (registration.active) registration.active.postMessage({ type: "ensure-shell" });
      whenIdle(function () { warmFormPages(registration); });
    }).catch(function (error) {
      // No worker (private mode, old browser): the site works online.
      report("service worker not registered", error);
    });
  }

  // ---- "Sparad kl 08:12 – du är offline" on pages the worker served from its store ----
  function formatSaved(ms) {
    var saved = new Date(ms);
    var now = new Date();
    var time = saved.toLocaleTimeString(dateLocale(), { hour: "2-digit", minute: "2-digit" });
    if (saved.toDateString() === now.toDateString()) {
      return msg("saved-today", "Sparad kl {time}", { time: time });
    }
    var day = saved.toLocaleDateString(dateLocale(), { day: "numeric", month: "long" });
    return msg("saved-day", "Sparad {day} kl {time}", { day: day, time: time });
  }

  function labelSavedPage() {
    var main = document.querySelector("main[data-offline-saved-at]");
    if (!main) return;
    var ms = parseInt(main.getAttribute("data-offline-saved-at"), 10);
    if (!ms) return;
    var banner = main.querySelector(".offline-saved");
    if (!banner) {
      banner = document.createElement("p");
      banner.className = "offline-saved";
      banner.setAttribute("role", "status");
      main.insertBefore(banner, main.firstChild);
    }
    var reason = main.getAttribute("data-offline-reason");
    var fresh = main.hasAttribute("data-offline-fresh");
    var suffix;
    if (!navigator.onLine) suffix = msg("offline", " – du är offline");
    else if (reason === "stalled" && !fresh) suffix = msg("stalled", " – ingen kontakt just nu");
    else suffix = msg("online-again", " – du har nät igen, ladda om sidan för det senaste");
    banner.textContent = formatSaved(ms) + suffix;
    if (fresh && navigator.onLine) {
      // The answer came after all and the worker stored it: offer it (a reload gets it at once).
      banner.appendChild(document.createTextNode(" " + msg("fresh", "Nyare uppgifter har hämtats.") + " "));
      var link = document.createElement("a");
      link.href = location.pathname;
      link.setAttribute("hx-boost", "false");
      link.setAttribute("data-reload", "");
      link.textContent = msg("show-fresh", "Visa dem");
      banner.appendChild(link);
    }
  }

  // The worker got the answer that was late and stored it: say so on the stored copy.
  if (hasWorker()) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      var data = event.data || {};
      var main = document.querySelector("main[data-offline-saved-at]");
      if (data.type !== "page-fresh" || !main || data.url !== location.pathname) return;
      main.setAttribute("data-offline-fresh", "");
      labelSavedPage();
    });
  }

  // ---- Keep the forms linked from today's list ready for offline use ----
  function warmFormPages(registration) {
    if (!navigator.onLine || !registration.active) return;
    if (/^\/me\//.test(location.pathname)) {
      // Participants: their contacts, next appointments and offline page (DESIGN §5).
      registration.active.postMessage({ type: "warm", urls: ME_PAGES });
      return;
    }
    if (location.pathname !== "/today") return;
    var urls = [];
    // Only the links that can be form pages (a long day has hundreds of links); an anchor
    // already knows its origin and path, no URL objects needed.
    document.querySelectorAll(FORM_LINKS).forEach(function (link) {
      if (link.origin !== location.origin || urls.indexOf(link.pathname) >= 0) return;
      if (FORM_PAGES.some(function (re) { return re.test(link.pathname); })) urls.push(link.pathname);
    });
    if (urls.length) registration.active.postMessage({ type: "warm", urls: urls.slice(0, MAX_WARM) });
  }

  // ---- Time limits for htmx ----
  function isBoostedGet(config) {
    return !!(config && config.boosted && (config.verb || "get").toLowerCase() === "get");
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var config = event.detail;
    if (!config) return;
    var limit = isBoostedGet(config) ? BOOSTED_GET_TIMEOUT_MS : REQUEST_TIMEOUT_MS;
    // An explicit, shorter hx-request timeout on an element wins.
    if (!config.timeout || config.timeout > limit) config.timeout = limit;
  });

  // A boosted link that fails (offline) or stalls becomes a real navigation, which the worker
  // answers from the network, with the stored page, or with the offline page.
  function navigateInstead(config, detail, stalled) {
    if (stalled && hasWorker() && navigator.serviceWorker.controller) {
      // The worker then waits less: the connection is known to hang right now.
      navigator.serviceWorker.controller.postMessage({ type: "stalled" });
    }
    // The full address (a boosted GET form's fields are in it), as htmx asked for it.
    var info = detail.pathInfo || {};
    location.assign(info.finalRequestPath || config.path || info.requestPath);
  }

  document.addEventListener("htmx:sendError", function (event) {
    var config = event.detail && event.detail.requestConfig;
    if (!isBoostedGet(config)) {
      showConnectionProblem();
      return;
    }
    navigateInstead(config, event.detail, false);
  });

  document.addEventListener("htmx:timeout", function (event) {
    var detail = event.detail || {};
    var config = detail.requestConfig;
    if (isBoostedGet(config)) {
      navigateInstead(config, detail, true);
      return;
    }
    showNoContact(detail.boosted ? detail.elt : (detail.target || detail.elt));
  });

  // "Ingen kontakt just nu" where the answer would have gone. Nothing is removed: a form keeps
  // what was typed, a list keeps what it showed.
  function showNoContact(anchor) {
    if (!anchor || !anchor.isConnected || /^(BODY|HTML)$/.test(anchor.tagName)) {
      anchor = document.getElementById("main");
    }
    if (!anchor) return;
    var inside = !/^(TABLE|TBODY|THEAD|TR|UL|OL|DL|SELECT)$/.test(anchor.tagName);
    var scope = inside ? anchor : anchor.parentNode;
    var note = scope && scope.querySelector(":scope > .no-contact");
    if (!note) {
      note = document.createElement("p");
      note.className = "no-contact flash warning";
      note.setAttribute("role", "alert");
      if (inside) anchor.insertBefore(note, anchor.firstChild);
      else anchor.parentNode.insertBefore(note, anchor);
    }
    note.textContent = msg("no-contact", "Ingen kontakt just nu. Försök igen om en stund.");
  }

  // A later answer that arrives clears the note.
  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail || {};
    if (!detail.successful) return;
    document.querySelectorAll(".no-contact").forEach(function (note) { note.remove(); });
  });

  // A page loaded by htmx (hx-boost): hand its HTML to the worker, which keeps it if it is one of
  // its pages kept for offline use (sw.js OFFLINE_PAGES, the one list), since the worker leaves
  // htmx requests alone.
  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail || {};
    var xhr = detail.xhr;
    if (!detail.boosted || !detail.successful || !xhr || !hasWorker()) return;
    if (!navigator.serviceWorker.controller) return;
    var url = new URL(xhr.responseURL || location.href, location.href);
    if (url.origin !== location.origin || url.search) return;
    if ((detail.requestConfig && (detail.requestConfig.verb || "get").toLowerCase()) !== "get") return;
    if ((xhr.getResponseHeader("Content-Type") || "").indexOf("text/html") !== 0) return;
    navigator.serviceWorker.controller.postMessage({
      type: "store", url: url.pathname, html: xhr.responseText,
      headers: { csp: xhr.getResponseHeader("Content-Security-Policy") || "" },
    });
  });

  function showConnectionProblem() {
    var box = document.getElementById("outbox-status");
    if (!box) return;
    var line = document.createElement("p");
    line.className = "outbox-failed";
    line.textContent = msg("no-connection",
      "Ingen anslutning – det gick inte att skicka. Försök igen när du har nät.");
    box.appendChild(line);
    box.hidden = false;
  }

  // ---- Checklist drafts (localStorage "bofast-checklist-draft:<user>:…", checklist.js):
  // all go at logout; another user's go as soon as someone else is signed in. ----
  function clearDrafts(keepUser) {
    try {
      var s = window.localStorage;
      for (var i = s.length - 1; i >= 0; i--) {
        var name = s.key(i) || "";
        if (name.indexOf("bofast-checklist-draft:") !== 0) continue;
        if (!keepUser || name.split(":")[1] !== keepUser) s.removeItem(name);
      }
    } catch (e) { /* storage off: nothing stored */ }
  }

  // ---- Logout: warn about unsent work; clear what is stored on the phone (DESIGN §5) ----
  function clearStoredData() {
    var outbox = window.BofastOutbox;
    var jobs = [];
    clearDrafts(null);
    if (window.caches) {
      jobs.push(caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("bofast-") === 0; })
          .map(function (k) { return caches.delete(k); }));
      }));
    }
    if (outbox && window.indexedDB) {
      jobs.push(outbox.pruneSent(true)); // unsent items stay: they are the worker's visits
      jobs.push(outbox.deleteMeta("session"));
    }
    return Promise.all(jobs).catch(function (error) {
      report("logout: stored data not fully cleared", error); // never block a logout
    });
  }

  function confirmDialog(count) {
    return new Promise(function (resolve) {
      var dialog = document.createElement("dialog");
      dialog.className = "confirm-dialog";
      dialog.setAttribute("aria-labelledby", "logout-warning-title");
      var title = document.createElement("h2");
      title.id = "logout-warning-title";
      title.textContent = msg("logout-title", "Vill du logga ut?");
      var text = document.createElement("p");
      text.textContent = count === 1
        ? msg("logout-one", "1 sak har inte skickats än. Om du loggar ut nu skickas de inte " +
          "förrän du loggar in igen på den här telefonen. De finns kvar här så länge.")
        : msg("logout-many", "{count} saker har inte skickats än. Om du loggar ut nu skickas de " +
          "inte förrän du loggar in igen på den här telefonen. De finns kvar här så länge.",
          { count: count });
      var actions = document.createElement("p");
      actions.className = "actions";
      var stay = document.createElement("button");
      stay.type = "button";
      stay.className = "button primary";
      stay.textContent = msg("stay", "Stanna kvar");
      var leave = document.createElement("button");
      leave.type = "button";
      leave.className = "button danger";
      leave.textContent = msg("leave", "Logga ut ändå");
      actions.appendChild(stay);
      actions.appendChild(leave);
      dialog.appendChild(title);
      dialog.appendChild(text);
      dialog.appendChild(actions);
      document.body.appendChild(dialog);
      function done(answer) { dialog.close(); dialog.remove(); resolve(answer); }
      stay.addEventListener("click", function () { done(false); });
      leave.addEventListener("click", function () { done(true); });
      dialog.addEventListener("cancel", function (e) { e.preventDefault(); done(false); });
      if (dialog.showModal) dialog.showModal();
      else resolve(window.confirm(text.textContent + " " + msg("leave", "Logga ut ändå") + "?"));
      stay.focus();
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-logout")) return;
    event.preventDefault();
    event.stopPropagation();
    var outbox = window.BofastOutbox;
    var user = document.body.getAttribute("data-user-id") || "";
    var unsent = outbox && window.indexedDB ? outbox.allItems().then(function (items) {
      return items.filter(function (i) { return outbox.isUnsent(i) && (!user || i.user === user); }).length;
    }).catch(function (error) { report("logout: outbox not readable", error); return 0; }) : Promise.resolve(0);
    unsent.then(function (count) {
      return count ? confirmDialog(count) : true;
    }).then(function (proceed) {
      if (!proceed) return;
      return clearStoredData().then(function () { form.submit(); });
    });
  }, true);

  // ---- Start ----
  function start() {
    var user = document.body.getAttribute("data-user-id");
    // Another user's drafts go in idle time: the first localStorage read of a visit is slow.
    if (user) whenIdle(function () { clearDrafts(user); });
    labelSavedPage();
    if (document.body.hasAttribute("data-offline-page")) {
      // The offline page stands in for the page that was asked for: fetch it once back online.
      // Send the outbox first (with the session the last page left), then reload.
      window.addEventListener("online", function () {
        var outbox = window.BofastOutbox;
        var sending = outbox && window.indexedDB ? outbox.flushAndRender({ force: true }) : Promise.resolve();
        sending.catch(function (error) { report("offline page: outbox", error); })
          .then(function () { location.reload(); });
      });
      var stalled = document.body.getAttribute("data-offline-reason") === "stalled";
      document.querySelectorAll("[data-offline-stalled]").forEach(function (p) { p.hidden = !stalled; });
      document.querySelectorAll("[data-offline-none]").forEach(function (p) { p.hidden = stalled; });
    }
  }

  // Before "Försök igen": ask the worker to wait longer for this one address (sw.js
  // PATIENT_WAIT_MS), so a page that is slow rather than stalled gets through on the retry.
  // Goes on when the worker confirms, or after half a second.
  function askWorkerToWait(then) {
    var worker = hasWorker() && navigator.serviceWorker.controller;
    if (!worker || typeof MessageChannel !== "function") { then(); return; }
    var done = false;
    function go() { if (!done) { done = true; then(); } }
    var channel = new MessageChannel();
    channel.port1.onmessage = go;
    worker.postMessage({ type: "patient", url: location.pathname + location.search }, [channel.port2]);
    setTimeout(go, 500);
  }

  // "Försök igen" on the offline page and "Visa dem" on a stored copy: load this same address
  // again (the offline page stands in for the page that was asked for).
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-retry], [data-reload]");
    if (!target || location.pathname === "/offline") return;
    event.preventDefault();
    if (!target.hasAttribute("data-retry")) { location.reload(); return; }
    target.setAttribute("aria-disabled", "true");
    target.textContent = msg("retrying", "Försöker igen …");
    askWorkerToWait(function () { location.reload(); });
  });
  window.addEventListener("online", labelSavedPage);
  window.addEventListener("offline", labelSavedPage);
  document.addEventListener("htmx:afterSettle", labelSavedPage);
  afterLoad(register);
  common.onReady(start);
})();
