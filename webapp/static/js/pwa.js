// Bofast PWA page script (DESIGN §5): registers the service worker, labels pages that came from
// the offline store, falls back to a real navigation when a boosted one fails offline, keeps
// today's forms ready for offline use, and guards logout while the outbox still holds unsent work.
(function () {
  "use strict";

  var SW_URL = "/sw.js"; // fixed interface (DESIGN §10): served from a route, scope "/"
  var FORM_PAGES = [/^\/participants\/\d+\/checklists\/new$/, /^\/participants\/\d+\/appointments\/\d+\/outcome$/];
  var MAX_WARM = 20;
  var ME_PAGES = ["/me/contacts", "/me/appointments", "/me/offline"];

  // UI text in the page's language from data-msg-* on #outbox-status (rendered by base.html);
  // the Swedish here is the fallback.
  function msg(name, fallback, vars) {
    var box = document.getElementById("outbox-status");
    var text = (box && box.getAttribute("data-msg-" + name)) || fallback;
    Object.keys(vars || {}).forEach(function (k) { text = text.split("{" + k + "}").join(vars[k]); });
    return text;
  }

  function dateLocale() { return document.documentElement.lang === "en" ? "en-GB" : "sv-SE"; }

  function hasWorker() { return "serviceWorker" in navigator; }

  function register() {
    if (!hasWorker()) return;
    navigator.serviceWorker.register(SW_URL, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // After a logout cleared Cache Storage, the worker fetches its shell again.
      if (registration.active) registration.active.postMessage({ type: "ensure-shell" });
      warmFormPages(registration);
    }).catch(function () { /* no worker (private mode, old browser): the site works online */ });
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
    banner.textContent = formatSaved(ms) + (navigator.onLine
      ? msg("online-again", " – du har nät igen, ladda om sidan för det senaste")
      : msg("offline", " – du är offline"));
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
    document.querySelectorAll("main a[href]").forEach(function (link) {
      var url = new URL(link.href, location.href);
      if (url.origin !== location.origin || urls.indexOf(url.pathname) >= 0) return;
      if (FORM_PAGES.some(function (re) { return re.test(url.pathname); })) urls.push(url.pathname);
    });
    if (urls.length) registration.active.postMessage({ type: "warm", urls: urls.slice(0, MAX_WARM) });
  }

  // ---- A boosted link that fails offline becomes a real navigation, which the worker answers
  // with the stored page or the offline page ----
  document.addEventListener("htmx:sendError", function (event) {
    var config = event.detail && event.detail.requestConfig;
    if (!config || !config.boosted || (config.verb || "get").toLowerCase() !== "get") {
      showConnectionProblem();
      return;
    }
    location.assign(config.path || event.detail.pathInfo.requestPath);
  });

  // A page we keep for offline use, loaded by htmx (hx-boost): hand its HTML to the worker, since
  // the worker leaves htmx requests alone (see sw.js).
  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail || {};
    var xhr = detail.xhr;
    if (!detail.boosted || !detail.successful || !xhr || !hasWorker()) return;
    if (!navigator.serviceWorker.controller) return;
    var url = new URL(xhr.responseURL || location.href, location.href);
    if (url.origin !== location.origin || url.search) return;
    if (url.pathname !== "/today" && ME_PAGES.indexOf(url.pathname) < 0 &&
        !FORM_PAGES.some(function (re) { return re.test(url.pathname); })) return;
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
    return Promise.all(jobs).catch(function () { /* never block a logout */ });
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
    }).catch(function () { return 0; }) : Promise.resolve(0);
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
    if (user) clearDrafts(user);
    labelSavedPage();
    if (document.body.hasAttribute("data-offline-page")) {
      // The offline page stands in for the page that was asked for: fetch it once back online.
      // Send the outbox first (with the session the last page left), then reload.
      window.addEventListener("online", function () {
        var outbox = window.BofastOutbox;
        var sending = outbox && window.indexedDB ? outbox.flushAndRender() : Promise.resolve();
        sending.catch(function () {}).then(function () { location.reload(); });
      });
    }
  }
  window.addEventListener("online", labelSavedPage);
  window.addEventListener("offline", labelSavedPage);
  document.addEventListener("htmx:afterSettle", labelSavedPage);
  register();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
