// Bofast service worker (DESIGN §5). Served by the /sw.js route, which fills in VERSION (a hash
// of the shell's files, so a deploy replaces the cache) and PRECACHE (the shell's URLs).
//
// What it stores: the app shell (CSS, JS, icons, the offline page) and, in "bofast-pages", only
// the pages listed in OFFLINE_PAGES as last loaded. Nothing else is kept for offline reading;
// logout clears every bofast cache (pwa.js).
//
// A stalled connection ("lie-fi": the phone says online, answers never come) is treated like
// offline after NETWORK_WAIT_MS: a kept page appears from the store (and is refreshed in the
// background when the answer comes), any other page gets the offline page. Nothing waits on the
// network without a time limit.
"use strict";

importScripts("/static/js/sw-push.js");
importScripts("/static/js/common.js");
importScripts("/static/js/outbox.js");

var VERSION = "__BOFAST_VERSION__";
var PRECACHE = "__BOFAST_PRECACHE__";
var SHELL = "bofast-shell-" + VERSION;
var PAGES = "bofast-pages"; // not versioned: a deploy must not throw away today's list
var OFFLINE_URL = "/offline";
var SAVED_AT = "X-Bofast-Saved-At";
var MAX_PAGES = 40;
var NETWORK_WAIT_MS = 3000; // a navigation waits this long for the network, then the fallback
var STALLED_WAIT_MS = 1000; // … or this long right after a stall (the connection is not back yet)
var STALL_MEMORY_MS = 30000;
var PATIENT_WAIT_MS = 15000; // "Försök igen" on the offline page: that address may take longer
var LATE_ANSWER_MS = 60000; // a late answer still refreshes the stored page within this time
var WARM_TIMEOUT_MS = 15000;
// The pages kept for offline use (one pattern per line, path only; a query string is never kept).
var OFFLINE_PAGES = [
  /^\/today$/,
  /^\/participants\/\d+\/checklists\/new$/,
  /^\/participants\/\d+\/appointments\/\d+\/outcome$/,
  // Participants: who to call and their next appointments, and their own offline page.
  /^\/me\/(contacts|appointments|offline)$/,
];
var ME_OFFLINE_URL = "/me/offline";

var report = self.BofastCommon.report;

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
    return Promise.resolve(false);
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
        }).then(function () { return true; });
    });
  });
}

// The stored page, marked with when it was saved and why it is shown ("offline" or "stalled"),
// so the page script can say so.
function storedPage(url, reason) {
  return caches.open(PAGES).then(function (cache) {
    return cache.match(url.href, { ignoreVary: true });
  }).then(function (response) {
    if (!response) return null;
    var savedAt = response.headers.get(SAVED_AT) || "";
    return response.text().then(function (html) {
      html = html.replace(/<main\b/, '<main data-offline-saved-at="' + savedAt.replace(/\D/g, "") +
        '" data-offline-reason="' + reason + '"');
      // Pages stored before common.js existed load outbox.js and pwa.js without it.
      if (html.indexOf("/static/js/common.js") < 0) {
        html = html.replace(/<script src="\/static\/js\/outbox\.js"/,
          '<script src="/static/js/common.js" defer></script>$&');
      }
      var headers = new Headers(response.headers);
      headers.delete("Content-Length");
      return new Response(html, { status: 200, headers: headers });
    });
  });
}

function offlinePage(reason) {
  return caches.match(OFFLINE_URL, { ignoreVary: true }).then(function (response) {
    if (!response) {
      return new Response("<!doctype html><title>Offline</title><p>Ingen anslutning.</p>", {
        status: 503, headers: { "Content-Type": "text/html; charset=utf-8" },
      });
    }
    return response.text().then(function (html) {
      var headers = new Headers(response.headers);
      headers.delete("Content-Length");
      html = html.replace(/<body data-offline-page/, '$& data-offline-reason="' + reason + '"');
      return new Response(html, { status: 200, headers: headers });
    });
  });
}

function delay(ms, value) {
  return new Promise(function (resolve) { setTimeout(function () { resolve(value); }, ms); });
}

// A stall seen in the last STALL_MEMORY_MS (by a navigation here, or by a page's htmx request)
// shortens the next waits: the stored copy comes almost at once while the connection hangs.
var stalledUntil = 0;
function noteStall() { stalledUntil = Date.now() + STALL_MEMORY_MS; }
// Addresses the person asked to try again ("Försök igen"): address -> until when to be patient.
var patient = {};
function networkWait(url) {
  var key = url.pathname + url.search;
  var until = patient[key];
  if (until) {
    delete patient[key];
    if (until > Date.now()) return PATIENT_WAIT_MS;
  }
  return Date.now() < stalledUntil ? STALLED_WAIT_MS : NETWORK_WAIT_MS;
}

function fallback(url, keep, reason) {
  var stored = keep ? storedPage(url, reason) : Promise.resolve(null);
  return stored.then(function (response) {
    // A participant's phone keeps its own offline page (the on-call number, 112).
    return response || storedPage(new URL(ME_OFFLINE_URL, self.location.origin), reason);
  }).then(function (response) { return response || offlinePage(reason); });
}

// Pages showing the stored copy of `url` can offer the fresh one.
function announceFresh(url) {
  return self.clients.matchAll({ type: "window" }).then(function (clients) {
    clients.forEach(function (client) { client.postMessage({ type: "page-fresh", url: url.pathname }); });
  });
}

var TIMED_OUT = {};
// Navigations: the network for at most networkWait(); then (or at once when there is no
// connection) the stored copy of a kept page, else the offline page. A kept page's late answer
// still refreshes the store. A form post is not replaced by a guess: it gets the network's
// answer or, when the connection fails, the offline page.
function navigate(event, request, url) {
  if (request.method !== "GET") {
    return fetch(request).catch(function () { return offlinePage("offline"); });
  }
  var keep = isOfflinePage(url);
  var servedStored = false;
  var network = fetch(request).then(function (response) {
    stalledUntil = 0; // an answer came, if late: the next navigation waits the full time again
    if (!keep) return response;
    return storePage(url, response.clone()).then(function (stored) {
      if (stored && servedStored) return announceFresh(url);
    }).catch(function (error) { report("sw: page not stored", error); }).then(function () {
      return response;
    });
  });
  // Keep the worker alive for a late answer, but not forever.
  event.waitUntil(Promise.race([network.catch(function () { return null; }), delay(LATE_ANSWER_MS)]));
  return Promise.race([network, delay(networkWait(url), TIMED_OUT)]).then(function (response) {
    if (response !== TIMED_OUT) return response;
    noteStall();
    servedStored = keep;
    return fallback(url, keep, "stalled");
  }, function () {
    return fallback(url, keep, "offline");
  });
}

var STATIC_TIMEOUT_MS = 10000;
function shellFirst(request) {
  return caches.match(request, { ignoreVary: true }).then(function (cached) {
    // Not in the shell (just after a logout cleared it): the network, but not forever, since a
    // page's deferred scripts hold up its DOMContentLoaded.
    return cached || self.BofastCommon.fetchWithTimeout(request, {}, STATIC_TIMEOUT_MS);
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(event, request, url));
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
        return self.BofastCommon.fetchWithTimeout(url.href, {
          credentials: "same-origin", headers: { "X-Bofast-Prefetch": "1" },
        }, WARM_TIMEOUT_MS).then(function (response) { return storePage(url, response); });
      }).catch(function (error) { report("sw: page not fetched for offline use: " + path, error); });
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
  if (data.type === "ensure-shell") event.waitUntil(ensureShell().catch(function (e) { report("sw: shell", e); }));
  else if (data.type === "stalled") noteStall();
  else if (data.type === "patient" && typeof data.url === "string") {
    patient[data.url] = Date.now() + 10000; // the retry's navigation follows at once
    if (event.ports && event.ports[0]) event.ports[0].postMessage({ type: "patient-ok" });
  }
  else if (data.type === "warm" && Array.isArray(data.urls)) event.waitUntil(warm(data.urls.slice(0, 20)));
  else if (data.type === "store") {
    event.waitUntil(storeHtml(data.url, data.html, data.headers).catch(function (e) { report("sw: store", e); }));
  }
});

// ---- Background Sync: send the outbox with no page open ----
self.addEventListener("sync", function (event) {
  if (event.tag !== self.BofastOutbox.SYNC_TAG) return;
  event.waitUntil(self.BofastOutbox.flush({ force: true }).then(function (summary) {
    var labels = summary.sent.map(self.BofastOutbox.labelFor);
    return self.clients.matchAll({ type: "window" }).then(function (clients) {
      clients.forEach(function (client) {
        client.postMessage({ type: "outbox-sent", labels: labels, failed: summary.failed.length,
                             keys: summary.sent.map(function (item) { return item.key; }) });
      });
      // Rejecting asks the browser to try the sync again later.
      if (summary.retry) throw new Error("outbox: " + summary.retry + " still waiting");
    });
  }));
});
