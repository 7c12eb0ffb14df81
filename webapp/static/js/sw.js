// Bofast service worker (DESIGN §5). Served by the /sw.js route, which fills in VERSION (a hash
// of the shell's files, so a deploy replaces the cache) and PRECACHE (the shell's URLs).
//
// What it stores: the app shell (CSS, JS, icons, the offline page) and, in "bofast-pages", only
// today's list and the checklist / visit-outcome forms as last loaded. Nothing else is kept for
// offline reading; logout clears every bofast cache (pwa.js).
"use strict";

importScripts("/static/js/sw-push.js");
importScripts("/static/js/outbox.js");

var VERSION = "__BOFAST_VERSION__";
var PRECACHE = "__BOFAST_PRECACHE__";
var SHELL = "bofast-shell-" + VERSION;
var PAGES = "bofast-pages"; // not versioned: a deploy must not throw away today's list
var OFFLINE_URL = "/offline";
var SAVED_AT = "X-Bofast-Saved-At";
var MAX_PAGES = 40;
var OFFLINE_PAGES = [
  /^\/today$/,
  /^\/participants\/\d+\/checklists\/new$/,
  /^\/participants\/\d+\/appointments\/\d+\/outcome$/,
  // Participants: who to call and their next appointments, and their own offline page.
  /^\/me\/(contacts|appointments|offline)$/,
];
var ME_OFFLINE_URL = "/me/offline";

function isOfflinePage(url) {
  return url.origin === self.location.origin && url.search === "" &&
    OFFLINE_PAGES.some(function (re) { return re.test(url.pathname); });
}

function precache() {
  return caches.open(SHELL).then(function (cache) { return cache.addAll(PRECACHE); });
}

self.addEventListener("install", function (event) {
  event.waitUntil(precache().then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {
      return key.indexOf("bofast-") === 0 && key !== SHELL && key !== PAGES;
    }).map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

// ---- The offline page store ----
// A page htmx loaded (hx-boost): the page script sends its HTML and headers, as received.
function storeHtml(href, html, headers) {
  var url = new URL(href, self.location.origin);
  if (!isOfflinePage(url) || typeof html !== "string") return Promise.resolve();
  var stored = new Headers({ "Content-Type": "text/html; charset=utf-8" });
  if (headers && typeof headers.csp === "string" && headers.csp) {
    stored.set("Content-Security-Policy", headers.csp);
  }
  return storePage(url, new Response(html, { status: 200, headers: stored }), true);
}

function storePage(url, response, fromPage) {
  var type = response.headers.get("Content-Type") || "";
  var fetched = fromPage || (!response.redirected && response.type === "basic");
  if (!response.ok || !fetched || type.indexOf("text/html") !== 0) {
    return Promise.resolve();
  }
  return response.blob().then(function (body) {
    var headers = new Headers(response.headers);
    headers.set(SAVED_AT, String(Date.now()));
    return caches.open(PAGES).then(function (cache) {
      return cache.put(url.href, new Response(body, { status: 200, headers: headers }))
        .then(function () { return cache.keys(); })
        .then(function (keys) {
          // Oldest first: drop what is beyond the limit.
          return Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_PAGES)).map(function (k) {
            return cache.delete(k);
          }));
        });
    });
  });
}

// The stored page, marked with when it was saved so the page script can say so.
function storedPage(url) {
  return caches.open(PAGES).then(function (cache) {
    return cache.match(url.href, { ignoreVary: true });
  }).then(function (response) {
    if (!response) return null;
    var savedAt = response.headers.get(SAVED_AT) || "";
    return response.text().then(function (html) {
      html = html.replace(/<main\b/, '<main data-offline-saved-at="' + savedAt.replace(/\D/g, "") + '"');
      var headers = new Headers(response.headers);
      headers.delete("Content-Length");
      return new Response(html, { status: 200, headers: headers });
    });
  });
}

function offlinePage() {
  return caches.match(OFFLINE_URL, { ignoreVary: true }).then(function (response) {
    return response || new Response("<!doctype html><title>Offline</title><p>Ingen anslutning.</p>", {
      status: 503, headers: { "Content-Type": "text/html; charset=utf-8" },
    });
  });
}

// Navigations: network first; offline, the stored page if it is one we keep, else the offline page.
function navigate(request, url) {
  return fetch(request).then(function (response) {
    if (request.method === "GET" && isOfflinePage(url)) {
      return storePage(url, response.clone()).then(function () { return response; }, function () {
        return response;
      });
    }
    return response;
  }).catch(function () {
    var stored = request.method === "GET" && isOfflinePage(url) ? storedPage(url) : Promise.resolve(null);
    return stored.then(function (response) {
      // A participant's phone keeps its own offline page (the on-call number, 112).
      return response || storedPage(new URL(ME_OFFLINE_URL, self.location.origin));
    }).then(function (response) { return response || offlinePage(); });
  });
}

function shellFirst(request) {
  return caches.match(request, { ignoreVary: true }).then(function (cached) {
    return cached || fetch(request);
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(request, url));
    return;
  }
  // htmx (boosted) requests are left to the network: the page script hands the worker the pages
  // it keeps ("store" below), and when offline htmx's error turns into a real navigation.
  if (request.method === "GET" && url.pathname.indexOf("/static/") === 0) {
    event.respondWith(shellFirst(request));
  }
});

// ---- Messages from pages ----
function startOfToday() {
  var now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
}

function warm(paths) {
  var today = startOfToday();
  return caches.open(PAGES).then(function (cache) {
    return Promise.all(paths.map(function (path) {
      var url = new URL(path, self.location.origin);
      if (!isOfflinePage(url)) return null;
      return cache.match(url.href, { ignoreVary: true }).then(function (stored) {
        var savedAt = stored ? parseInt(stored.headers.get(SAVED_AT) || "0", 10) : 0;
        if (savedAt >= today) return null; // loaded today already: no extra read of the file
        // Marked, so the audit log records a prefetch, not someone reading the file.
        return fetch(url.href, { credentials: "same-origin", headers: { "X-Bofast-Prefetch": "1" } }).then(function (response) {
          return storePage(url, response);
        });
      }).catch(function () { return null; });
    }));
  });
}

function ensureShell() {
  return caches.open(SHELL).then(function (cache) {
    return cache.match(OFFLINE_URL).then(function (found) { return found ? null : cache.addAll(PRECACHE); });
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "ensure-shell") event.waitUntil(ensureShell().catch(function () {}));
  else if (data.type === "warm" && Array.isArray(data.urls)) event.waitUntil(warm(data.urls.slice(0, 20)));
  else if (data.type === "store") event.waitUntil(storeHtml(data.url, data.html, data.headers).catch(function () {}));
});

// ---- Background Sync: send the outbox with no page open ----
self.addEventListener("sync", function (event) {
  if (event.tag !== self.BofastOutbox.SYNC_TAG) return;
  event.waitUntil(self.BofastOutbox.flush().then(function (summary) {
    var labels = summary.sent.map(self.BofastOutbox.labelFor);
    return self.clients.matchAll({ type: "window" }).then(function (clients) {
      clients.forEach(function (client) {
        client.postMessage({ type: "outbox-sent", labels: labels, failed: summary.failed.length });
      });
      // Rejecting asks the browser to try the sync again later.
      if (summary.retry) throw new Error("outbox: " + summary.retry + " still waiting");
    });
  }));
});
