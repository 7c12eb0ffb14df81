// Bofast outbox (DESIGN §5): forms marked data-outbox="checklist" | "visit" are stored in
// IndexedDB before they are sent, so a visit recorded in a basement with no signal is never lost.
// Each item carries a client idempotency key; the server creates exactly one record per key and
// answers a replay with the original answer, so sending again is always safe.
//
// A stalled connection ("lie-fi": online, no answer) is handled like no connection: each send
// gives up after SEND_TIMEOUT_MS, the item stays pending and is tried again after a growing wait
// (retryDelay). While one context (tab or service worker) sends an item it holds a short lease on
// it in IndexedDB, so two tabs never send the same item at once.
//
// Loaded both by pages (<script defer>, after common.js) and by the service worker
// (importScripts), so the core below touches no DOM; the page part at the bottom only runs where
// there is a document. The pure rules (retryDelay, classify, isDue, canClaim) are unit-tested in
// tests/js/.
(function (global) {
  "use strict";

  var common = global.BofastCommon;
  var msg = common.msg;
  var report = common.report;

  var DB_NAME = "bofast";
  var DB_VERSION = 1;
  var ITEMS = "outbox";
  var META = "meta";
  var SYNC_TAG = "bofast-outbox";
  var SENT_KEEP_MS = 24 * 60 * 60 * 1000; // sent items are evidence for the worker, not an archive
  var KIND_LABELS = { checklist: "genomgången", visit: "besöket" };
  var SEND_TIMEOUT_MS = 8000; // a checklist is a few KB: 8 s without an answer is a stall
  var LEASE_MS = SEND_TIMEOUT_MS + 4000; // outlives one send; a closed tab's lease runs out soon
  var RETRY_BASE_MS = 2000;
  var RETRY_MAX_MS = 5 * 60 * 1000;
  var OWNER = common.newKey(); // this tab / this worker, for the send lease

  // ---- Pure rules (no IndexedDB, no network) ----

  // How long to wait before the next automatic try after `attempts` failed ones: 2 s, 4 s, 8 s …
  // up to 5 minutes, spread by ±20 % (`random` in [0, 1)) so many phones coming out of the same
  // dead zone do not all knock at once.
  function retryDelay(attempts, random) {
    var n = Math.max(1, attempts || 1);
    var delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * Math.pow(2, Math.min(n - 1, 20)));
    var r = typeof random === "number" ? random : 0.5;
    return Math.round(delay * (0.8 + 0.4 * r));
  }

  // What an answer means for the item: "sent", "failed" (the worker must correct it) or "retry"
  // (the data is fine; try later), and what a retry waits for ("login" or "server").
  function classify(answer) {
    var status = answer.status;
    var data = answer.data;
    var atLogin = /\/login(\?|$)/.test(answer.path || "");
    if (answer.ok && (!data || data.ok !== false) && !atLogin) return { outcome: "sent" };
    if (status === 422 || (status >= 400 && status < 500 && [400, 401, 408, 429].indexOf(status) < 0)) {
      return { outcome: "failed" };
    }
    // 400 (expired form token), 401 (signed out), 408, 429, 5xx: the data is fine, try later.
    var login = status === 401 || status === 400 || answer.redirected || atLogin;
    return { outcome: "retry", waitingFor: login ? "login" : "server" };
  }

  // Due for an automatic try: unsent, not rejected, and its wait after the last try is over.
  function isDue(item, now) {
    if (item.status !== "pending" && item.status !== "sending") return false;
    return !item.nextAttemptAt || item.nextAttemptAt <= now;
  }

  // May `owner` send this item now? Not while another tab's or the worker's lease runs.
  function canClaim(item, owner, now) {
    return !item.lease || item.lease.owner === owner || item.lease.until <= now;
  }

  function inFlight(item, now) { return !!(item.lease && item.lease.until > now); }

  // ---- IndexedDB, promise-wrapped ----
  var dbPromise = null;
  function openDb() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      var request = global.indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains(ITEMS)) db.createObjectStore(ITEMS, { keyPath: "key" });
        if (!db.objectStoreNames.contains(META)) db.createObjectStore(META, { keyPath: "name" });
      };
      request.onsuccess = function () {
        var db = request.result;
        db.onversionchange = function () { db.close(); dbPromise = null; };
        resolve(db);
      };
      request.onerror = function () { dbPromise = null; reject(request.error); };
    });
    return dbPromise;
  }

  function withStore(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(name, mode);
        var result;
        var request = work(transaction.objectStore(name));
        if (request) request.onsuccess = function () { result = request.result; };
        transaction.oncomplete = function () { resolve(result); };
        transaction.onerror = function () { reject(transaction.error); };
        transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }

  function allItems() {
    return withStore(ITEMS, "readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.createdAt - b.createdAt; });
    });
  }
  function getItem(key) { return withStore(ITEMS, "readonly", function (s) { return s.get(key); }); }
  function putItem(item) { return withStore(ITEMS, "readwrite", function (s) { return s.put(item); }); }
  function deleteItem(key) { return withStore(ITEMS, "readwrite", function (s) { return s.delete(key); }); }
  function getMeta(name) {
    return withStore(META, "readonly", function (s) { return s.get(name); }).then(function (row) {
      return row ? row.value : null;
    });
  }
  function setMeta(name, value) {
    return withStore(META, "readwrite", function (s) { return s.put({ name: name, value: value }); });
  }
  function deleteMeta(name) { return withStore(META, "readwrite", function (s) { return s.delete(name); }); }

  function isUnsent(item) { return item.status !== "sent"; }

  var newKey = common.newKey;

  // ---- Sending ----
  // The session (user id + CSRF token) comes from the current page when there is one; the service
  // worker uses the one the last page stored, since it has no page of its own.
  function currentSession() {
    if (global.document && global.document.body) {
      var body = global.document.body;
      var user = body.getAttribute("data-user-id") || "";
      var token = "";
      try {
        token = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
      } catch (e) { token = ""; }
      if (user && token) return Promise.resolve({ user: user, token: token });
    }
    return getMeta("session").then(function (session) { return session || { user: "", token: "" }; });
  }

  function errorMessages(status) {
    if (status === 404) return { form: msg("gone", "Det som formuläret gällde finns inte längre.") };
    if (status === 403) return { form: msg("forbidden", "Du har inte behörighet att skicka det här.") };
    if (status === 409) return { form: msg("conflict", "Någon annan har ändrat samma sak. Kontrollera och skicka igen.") };
    return { form: msg("failed-code", "Det gick inte att spara (felkod {status}).", { status: status }) };
  }

  // Take the send lease on an item, if `accept` still holds for its stored version and no one
  // else holds the lease: get and put in one readwrite transaction, which IndexedDB runs one at a
  // time across tabs and the worker. Resolves to the stored item (now leased) or null.
  function claimItem(key, accept) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(ITEMS, "readwrite");
        var store = transaction.objectStore(ITEMS);
        var claimed = null;
        var request = store.get(key);
        request.onsuccess = function () {
          var item = request.result;
          var now = Date.now();
          if (!item || !accept(item) || !canClaim(item, OWNER, now)) return;
          item.lease = { owner: OWNER, until: now + LEASE_MS };
          store.put(item);
          claimed = item;
        };
        transaction.oncomplete = function () { resolve(claimed); };
        transaction.onerror = function () { reject(transaction.error); };
        transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }

  // Tell the page that an item started or stopped being sent (it shows "Skickar …").
  function notify() {
    if (typeof api.onChange !== "function") return;
    try { api.onChange(); } catch (e) { report("outbox change listener", e); }
  }

  // POST one (leased) item, at most SEND_TIMEOUT_MS; records the outcome on the item.
  function post(item, session) {
    var body = new URLSearchParams();
    item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    item.attempts = (item.attempts || 0) + 1;
    item.lastAttemptAt = Date.now();
    return common.fetchWithTimeout(item.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Idempotency-Key": item.key,
        "X-CSRFToken": session.token,
      },
    }, SEND_TIMEOUT_MS).then(function (response) {
      var isJson = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      var parsed = isJson ? response.json().catch(function (error) {
        report("outbox: unreadable JSON answer for " + item.action, error);
        return {};
      }) : Promise.resolve(null);
      return parsed.then(function (data) {
        var path = "";
        try { path = new URL(response.url).pathname; } catch (e) { path = ""; }
        var verdict = classify({ ok: response.ok, status: response.status, data: data, path: path,
                                 redirected: response.redirected });
        item.lastError = null;
        if (verdict.outcome === "sent") {
          // A page still has to say "Skickat" for it (a replay of a sent item was said already).
          if (item.status !== "sent") item.announced = false;
          item.status = "sent";
          item.sentAt = Date.now();
          item.result = { id: data && data.id, url: (data && data.url) || response.url };
          item.errors = null;
          item.waitingFor = null;
          item.nextAttemptAt = null;
        } else if (verdict.outcome === "failed") {
          item.status = "failed";
          item.errors = (data && data.errors) || errorMessages(response.status);
          item.nextAttemptAt = null;
        } else {
          item.status = "pending";
          item.waitingFor = verdict.waitingFor;
          // Waiting for a sign-in: the next page opened signed in sends it, no timer needed.
          item.nextAttemptAt = verdict.waitingFor === "login" ? null
            : Date.now() + retryDelay(item.attempts, Math.random());
        }
        return verdict.outcome;
      });
    }, function (error) {
      // No connection, or no answer in time (a stall): the item waits, nothing is lost.
      item.status = "pending";
      item.waitingFor = "network";
      item.lastError = error && error.name === "TimeoutError" ? "timeout" : "network";
      item.nextAttemptAt = Date.now() + retryDelay(item.attempts, Math.random());
      return "retry";
    });
  }

  function isQueued(item) { return item.status === "pending" || item.status === "sending"; }

  // Send one item unless another tab or the worker is sending it right now. Resolves to "sent",
  // "failed" (the worker must correct it), "retry" or "busy"; `item` gets the stored outcome.
  function sendItem(item, session, accept) {
    return claimItem(item.key, accept || isQueued).then(function (claimed) {
      if (!claimed) return "busy";
      notify();
      return post(claimed, session).then(function (outcome) {
        delete claimed.lease;
        return putItem(claimed).then(function () {
          Object.keys(claimed).forEach(function (k) { item[k] = claimed[k]; });
          delete item.lease;
          notify();
          return outcome;
        });
      });
    });
  }

  // When the next automatic try is due (ms since epoch), or null: the earliest wait among the
  // user's waiting items; an item another context is sending is looked at again when its lease
  // ends. Items waiting for a sign-in go with the next page opened.
  function nextTryAt(items, user, now) {
    var times = items.filter(function (item) {
      return item.user === user && isQueued(item) && item.waitingFor !== "login";
    }).map(function (item) {
      if (item.nextAttemptAt) return item.nextAttemptAt;
      if (inFlight(item, now)) return item.lease.until;
      return now + RETRY_BASE_MS;
    });
    return times.length ? Math.min.apply(null, times) : null;
  }

  var flushing = null;
  // Send the signed-in user's items that are due, oldest first (options.force: every waiting one,
  // as when the phone reports it is back online). Resolves to a summary. A call while a run is
  // going waits for it and runs again, so a just-queued item is never skipped. After a send that
  // got no answer the run stops: the connection is stalled, the rest wait for the next try.
  function flush(options) {
    if (flushing) return flushing.then(function () { return flush(options); });
    options = options || {};
    flushing = currentSession().then(function (session) {
      return allItems().then(function (items) {
        var summary = { sent: [], failed: [], retry: 0, busy: [], nextAt: null };
        if (!session.user || !session.token) return summary;
        var now = Date.now();
        var queue = items.filter(function (item) {
          if (item.user !== session.user) return false;
          if (options.includeFailed && item.status === "failed") return true;
          return options.force ? isQueued(item) : isDue(item, now);
        });
        var accept = options.includeFailed
          ? function (item) { return isQueued(item) || item.status === "failed"; } : isQueued;
        var stalled = false;
        return queue.reduce(function (chain, item) {
          return chain.then(function () {
            if (stalled) { summary.retry += 1; return null; }
            return sendItem(item, session, accept).then(function (outcome) {
              if (outcome === "sent") summary.sent.push(item);
              else if (outcome === "failed") summary.failed.push(item);
              else summary.retry += 1;
              if (outcome === "busy") summary.busy.push(item);
              if (outcome === "retry" && item.waitingFor === "network") stalled = true;
            });
          });
        }, Promise.resolve()).then(allItems).then(function (fresh) {
          summary.nextAt = nextTryAt(fresh, session.user, Date.now());
          return summary;
        });
      });
    }).finally(function () { flushing = null; });
    return flushing;
  }

  // Send every item again, sent ones too. Harmless by design (idempotency keys); used by tests
  // and by support staff to prove that a replay creates nothing new. Resolves to the statuses.
  function replayAll() {
    return currentSession().then(function (session) {
      return allItems().then(function (items) {
        var statuses = [];
        return items.filter(function (item) { return item.user === session.user; })
          .reduce(function (chain, item) {
            return chain.then(function () {
              var wasSent = item.status === "sent";
              return sendItem(item, session, function () { return true; }).then(function (outcome) {
                if (wasSent && outcome !== "sent") { item.status = "sent"; return putItem(item); }
              }).then(function () { statuses.push(item.status); });
            });
          }, Promise.resolve()).then(function () { return statuses; });
      });
    });
  }

  // Drop sent items (logout) and sent items older than a day (every start).
  function pruneSent(all) {
    var cutoff = Date.now() - SENT_KEEP_MS;
    return allItems().then(function (items) {
      return Promise.all(items.filter(function (item) {
        return item.status === "sent" && (all || (item.sentAt || 0) < cutoff);
      }).map(function (item) { return deleteItem(item.key); }));
    });
  }

  function labelFor(item) {
    if (item.label) return item.label;
    if (KIND_LABELS[item.kind]) return msg("kind-" + item.kind, KIND_LABELS[item.kind]);
    return msg("kind-form", "formuläret");
  }

  var api = {
    SYNC_TAG: SYNC_TAG,
    allItems: allItems,
    getItem: getItem,
    putItem: putItem,
    deleteItem: deleteItem,
    getMeta: getMeta,
    setMeta: setMeta,
    deleteMeta: deleteMeta,
    isUnsent: isUnsent,
    newKey: newKey,
    retryDelay: retryDelay,
    classify: classify,
    isDue: isDue,
    canClaim: canClaim,
    inFlight: inFlight,
    nextTryAt: nextTryAt,
    claimItem: claimItem,
    SEND_TIMEOUT_MS: SEND_TIMEOUT_MS,
    onChange: null,
    flush: flush,
    replayAll: replayAll,
    pruneSent: pruneSent,
    labelFor: labelFor,
  };
  global.BofastOutbox = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api; // node unit tests

  if (!global.document) return; // in the service worker: the core is all it needs

  // ======================= Page part =======================
  var doc = global.document;
  var justSent = []; // {key, label} of what was sent while this page is open (or carried to it)

  function bodyUser() { return doc.body.getAttribute("data-user-id") || ""; }

  function el(tag, className, text) {
    var node = doc.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  var rerenderTimer = null;
  // "#outbox-status": what is waiting, what failed (with a way to correct it), what was sent.
  function render() {
    var box = doc.getElementById("outbox-status");
    if (!box) return Promise.resolve();
    return allItems().then(function (items) {
      var user = bodyUser();
      var mine = items.filter(function (item) { return !user || item.user === user; });
      var now = Date.now();
      var queued = mine.filter(isQueued);
      // An item this tab, another tab or the worker is sending right now: "Skickar …".
      var sending = queued.filter(function (item) { return inFlight(item, now); });
      var waiting = queued.filter(function (item) { return !inFlight(item, now); });
      // A refused item is shown on its own form (and on Idag, the way back to it), never on
      // other participants' pages.
      var here = global.location.pathname;
      var failed = mine.filter(function (item) {
        return item.status === "failed" && (here === "/today" || item.action === here ||
          (item.page || "").split("?")[0] === here);
      });
      box.textContent = "";
      if (sending.length) {
        box.appendChild(el("p", "outbox-sending", msg("sending", "Skickar …")));
        // Another tab or the worker may be the one sending: look again until it is done.
        if (!rerenderTimer) {
          rerenderTimer = global.setTimeout(function () {
            rerenderTimer = null;
            render().catch(function (error) { report("outbox: render", error); });
          }, 1000);
        }
      }
      if (waiting.length) {
        var line = el("p", "outbox-waiting",
                      msg("waiting", "{count} väntar på att skickas", { count: waiting.length }));
        if (waiting.some(function (item) { return item.waitingFor === "login"; })) {
          line.textContent += msg("waiting-login", " – logga in igen så skickas de");
        }
        box.appendChild(line);
      }
      failed.forEach(function (item) {
        var line = el("p", "outbox-failed");
        line.appendChild(doc.createTextNode(msg("not-sent", "Kunde inte skickas: {label}. ", { label: labelFor(item) })));
        var link = el("a", "", msg("fix", "Rätta och skicka igen"));
        link.href = item.page + "#outbox-fix=" + encodeURIComponent(item.key);
        line.appendChild(link);
        box.appendChild(line);
      });
      justSent.forEach(function (entry) {
        box.appendChild(el("p", "outbox-sent", msg("sent", "Skickat: {label}", { label: entry.label })));
      });
      box.hidden = !box.childNodes.length;
      box.classList.toggle("has-failed", failed.length > 0);
      box.classList.toggle("all-sent", !queued.length && !failed.length && justSent.length > 0);
    });
  }

  // Once per item, however many ways the news comes (this page's send, Background Sync's
  // message, a confirmation carried over a reload).
  function noteSent(key, label) {
    if (key && justSent.some(function (entry) { return entry.key === key; })) return false;
    justSent.push({ key: key || "", label: label });
    return true;
  }

  function announce(key, label) {
    // The offline page reloads itself once online: its confirmations go with it to the next page.
    var carry = doc.body && doc.body.hasAttribute("data-offline-page");
    if (noteSent(key, label) && carry) carryConfirmation(key, label);
  }

  function announceSent(items) {
    items.forEach(function (item) { announce(item.key, labelFor(item)); });
    markAnnounced(items.map(function (item) { return item.key; }));
  }

  // Said on a page: no other page needs to say it again.
  function markAnnounced(keys) {
    return Promise.all(keys.filter(Boolean).map(function (key) {
      return getItem(key).then(function (item) {
        if (!item || item.announced !== false) return null;
        item.announced = true;
        return putItem(item);
      });
    })).catch(function (error) { report("outbox: receipt not marked", error); });
  }

  // Sent by someone else while no page listened (Background Sync during a reload, another tab
  // that closed): this page says so.
  function pickUpSent() {
    return allItems().then(function (items) {
      var user = bodyUser();
      var unsaid = items.filter(function (item) {
        return item.status === "sent" && item.announced === false && (!user || item.user === user);
      });
      if (unsaid.length) announceSent(unsaid);
    });
  }

  // The confirmation must survive the navigation to the result page.
  var CONFIRM_KEY = "bofast-outbox-sent";
  function carryConfirmation(key, label) {
    try {
      var carried = JSON.parse(global.sessionStorage.getItem(CONFIRM_KEY) || "[]");
      carried.push({ key: key, label: label });
      global.sessionStorage.setItem(CONFIRM_KEY, JSON.stringify(carried));
    } catch (e) { report("outbox: confirmation not carried (the server's page says it was saved)", e); }
  }
  function takeConfirmations() {
    try {
      var carried = JSON.parse(global.sessionStorage.getItem(CONFIRM_KEY) || "[]");
      global.sessionStorage.removeItem(CONFIRM_KEY);
      return carried.map(function (entry) {
        return typeof entry === "string" ? { key: "", label: entry } : entry; // older pages
      });
    } catch (e) { report("outbox: confirmations unreadable", e); return []; }
  }

  function requestBackgroundSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register(SYNC_TAG);
    }).catch(function (error) {
      // No Background Sync here (iOS): `online`, app start and the retry timer cover it.
      report("outbox: Background Sync not registered", error);
    });
  }

  // Keep the session where the service worker can reach it for Background Sync.
  function rememberSession() {
    return currentSession().then(function (session) {
      if (!bodyUser() || !session.token) return null;
      return getMeta("session").then(function (previous) {
        var jobs = [setMeta("session", session)];
        if (previous && previous.user && previous.user !== session.user) {
          // Someone else signed in on this phone: the last person's stored pages and sent
          // items go (their unsent items stay, and are only ever sent in their own session).
          jobs.push(pruneSent(true));
          if (global.caches) jobs.push(global.caches.delete("bofast-pages"));
        }
        return Promise.all(jobs);
      });
    });
  }

  // One timer per page for the next automatic try (growing waits, see retryDelay). Offline there
  // is no point: the `online` event sends everything at once.
  var retryTimer = null;
  function scheduleRetry(nextAt) {
    if (retryTimer) global.clearTimeout(retryTimer);
    retryTimer = null;
    if (!nextAt || !navigator.onLine) return;
    retryTimer = global.setTimeout(function () {
      retryTimer = null;
      flushAndRender();
    }, Math.max(500, nextAt - Date.now()));
  }

  // Send what is due and show it. Items another context was sending (Background Sync, another
  // tab) are waited for, so that this page can say they were sent, too. Resolves only after the
  // runs started before it have finished too (the offline page reloads when it resolves).
  var lastRun = Promise.resolve();
  function flushAndRender(options) {
    var before = lastRun;
    var run = sendAndShow(options);
    lastRun = run.catch(function () { return null; });
    return Promise.all([before, run]).then(function (results) { return results[1]; });
  }

  function sendAndShow(options) {
    return flush(options).then(function (summary) {
      announceSent(summary.sent);
      scheduleRetry(summary.nextAt);
      return pickUpSent().then(render).then(function () {
        return Promise.all(summary.busy.map(function (item) { return settled(item.key); }));
      }).then(function (after) {
        var sentElsewhere = after.filter(function (item) { return item && item.status === "sent"; });
        if (!sentElsewhere.length) return summary;
        announceSent(sentElsewhere);
        summary.sent = summary.sent.concat(sentElsewhere);
        return render().then(function () { return summary; });
      });
    }, function (error) {
      report("outbox: sending failed", error);
      return render();
    });
  }

  function formFields(form, submitter) {
    var data;
    try { data = new FormData(form, submitter || undefined); } catch (e) { data = new FormData(form); }
    var fields = [];
    data.forEach(function (value, name) {
      // The CSRF token goes as a header taken at send time: a stored one may have expired.
      if (name === "csrf_token" || typeof value !== "string") return;
      fields.push([name, value]);
    });
    if (submitter && submitter.name && !data.has(submitter.name)) {
      fields.push([submitter.name, submitter.value || ""]);
    }
    return fields;
  }

  function showQueuedNotice(form, online) {
    var notice = form.querySelector(".outbox-notice");
    if (!notice) {
      notice = el("p", "outbox-notice");
      notice.setAttribute("role", "status");
      form.insertBefore(notice, form.firstChild);
    }
    notice.textContent = online
      ? msg("sending", "Skickar …")
      : msg("queued", "Sparat på telefonen. Det skickas automatiskt när du har nät igen.");
  }

  // The stored item once no one is sending it (Background Sync may have taken it first): polls
  // while a lease runs, at most LEASE_MS.
  function settled(key) {
    var until = Date.now() + LEASE_MS;
    function look() {
      return getItem(key).then(function (item) {
        if (!item || !inFlight(item, Date.now()) || Date.now() > until) return item;
        return new Promise(function (resolve) { global.setTimeout(resolve, 250); }).then(look);
      });
    }
    return look();
  }

  function onSubmit(event) {
    var form = event.target;
    if (!form || form.tagName !== "FORM" || !form.hasAttribute("data-outbox")) return;
    if (!global.indexedDB || !bodyUser()) return; // no outbox possible: a normal post
    // Stop htmx (hx-boost / hx-post on the form) from posting too: the outbox owns this submit.
    event.preventDefault();
    event.stopPropagation();
    var keyInput = form.querySelector("input[name=idempotency_key]");
    var key = (keyInput && keyInput.value) || newKey();
    if (keyInput) keyInput.value = key;
    var fields = formFields(form, event.submitter).filter(function (pair) {
      return pair[0] !== "idempotency_key";
    });
    fields.push(["idempotency_key", key]);
    var item = {
      key: key,
      kind: form.getAttribute("data-outbox"),
      action: new URL(form.getAttribute("action") || global.location.href, global.location.href).pathname,
      page: global.location.pathname + global.location.search,
      label: form.getAttribute("data-outbox-label") || "",
      user: bodyUser(),
      fields: fields,
      status: "pending",
      createdAt: Date.now(),
      attempts: 0,
      errors: null,
    };
    var replaces = form.getAttribute("data-outbox-replaces");
    var buttons = form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
    buttons.forEach(function (b) { b.disabled = true; });
    putItem(item).then(function () {
      if (replaces && replaces !== key) return deleteItem(replaces);
    }).then(function () {
      // Kept on the phone: the checklist's draft (checklist.js) is no longer needed.
      form.dispatchEvent(new CustomEvent("outbox:queued", { bubbles: true, detail: { key: key } }));
      showQueuedNotice(form, navigator.onLine);
      requestBackgroundSync();
      return flush();
    }).then(function (summary) {
      announceSent(summary.sent);
      scheduleRetry(summary.nextAt);
      return render();
    }).then(function () {
      return settled(key); // whichever run sent it, the stored item knows how it went
    }).then(function (mine) {
      if (mine && mine.status === "sent" && mine.result && mine.result.url) {
        carryConfirmation(mine.key, labelFor(mine));
        global.location.assign(mine.result.url); // like the redirect after a normal post
        return;
      }
      buttons.forEach(function (b) { b.disabled = false; });
      var failed = mine && mine.status === "failed" ? mine : null;
      if (failed) {
        showErrors(form, failed);
        form.setAttribute("data-outbox-replaces", key);
        if (keyInput) keyInput.value = "";
        var notice = form.querySelector(".outbox-notice");
        if (notice) notice.textContent = msg("invalid", "Det här kunde inte sparas. Rätta det som är markerat och skicka igen.");
      } else {
        showQueuedNotice(form, false);
      }
    }).catch(function (error) {
      // IndexedDB refused the item (storage full, private mode): say so; what was typed stays.
      report("outbox: could not keep the form", error);
      buttons.forEach(function (b) { b.disabled = false; });
      var notice = form.querySelector(".outbox-notice");
      if (notice) {
        notice.textContent = msg("not-kept", "Det gick inte att spara på telefonen. Det du skrev finns kvar – försök igen.");
        notice.setAttribute("role", "alert");
      }
    });
  }

  // ---- Reopening a failed item: the form filled with what was typed, and the errors ----
  function fieldsByName(form, name) {
    return Array.prototype.filter.call(form.elements, function (e) { return e.name === name; });
  }

  function fillForm(form, fields) {
    var values = {};
    fields.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name || input.name === "csrf_token" || input.name === "idempotency_key") return;
      var given = values[input.name] || [];
      if (input.type === "checkbox" || input.type === "radio") {
        input.checked = given.indexOf(input.value) >= 0;
      } else if (input.tagName === "SELECT" && input.multiple) {
        Array.prototype.forEach.call(input.options, function (o) { o.selected = given.indexOf(o.value) >= 0; });
      } else if (input.type !== "submit" && input.type !== "button" && input.type !== "file") {
        if (given.length) input.value = given[0];
      }
    });
  }

  function showErrors(form, item) {
    form.querySelectorAll(".outbox-error").forEach(function (node) { node.remove(); });
    var errors = item.errors || {};
    Object.keys(errors).forEach(function (name) {
      var message = Array.isArray(errors[name]) ? errors[name].join(" ") : String(errors[name]);
      var inputs = fieldsByName(form, name);
      var error = el("p", "field-error outbox-error", message);
      error.id = "outbox-error-" + name.replace(/[^A-Za-z0-9_-]/g, "-");
      if (!inputs.length) {
        error.setAttribute("role", "alert");
        form.insertBefore(error, form.firstChild);
        return;
      }
      var container = inputs[0].closest(".field, fieldset") || inputs[0];
      container.classList.add("has-error");
      container.parentNode.insertBefore(error, container.nextSibling);
      inputs.forEach(function (input) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby",
          ((input.getAttribute("aria-describedby") || "") + " " + error.id).trim());
      });
    });
  }

  function reopenFailed() {
    var match = /^#outbox-fix=(.+)$/.exec(global.location.hash);
    if (!match) return Promise.resolve();
    return getItem(decodeURIComponent(match[1])).then(function (item) {
      if (!item || item.user !== bodyUser()) return;
      var forms = doc.querySelectorAll('form[data-outbox="' + item.kind + '"]');
      var form = Array.prototype.filter.call(forms, function (f) {
        return new URL(f.getAttribute("action") || global.location.href, global.location.href).pathname === item.action;
      })[0] || forms[0];
      if (!form) return;
      // A form that builds some fields only when needed (checklist.js) adds them now.
      form.dispatchEvent(new CustomEvent("outbox:fill", { bubbles: true, detail: { fields: item.fields } }));
      fillForm(form, item.fields);
      showErrors(form, item);
      form.setAttribute("data-outbox-replaces", item.key);
      var keyInput = form.querySelector("input[name=idempotency_key]");
      if (keyInput) keyInput.value = ""; // the corrected version is a new submission
      var notice = el("p", "outbox-notice",
        msg("rejected", "Det här skickades inte. Rätta det som är markerat och skicka igen."));
      notice.setAttribute("role", "alert");
      form.insertBefore(notice, form.firstChild);
    });
  }

  function start() {
    if (!global.indexedDB) return;
    justSent = takeConfirmations();
    rememberSession()
      .then(function () { return pruneSent(false); })
      .then(reopenFailed)
      .then(pickUpSent)
      .then(render)
      .then(function () {
        if (!navigator.onLine) return null;
        // A page that just came over the network shows the connection works: everything waiting
        // goes now. A stored copy or the offline page respects the waits (it may be a stall).
        var fromNetwork = !doc.querySelector("main[data-offline-saved-at]") &&
          !doc.body.hasAttribute("data-offline-page");
        return flushAndRender({ force: fromNetwork });
      })
      .catch(function (error) {
        // Private mode without IndexedDB: forms post normally.
        report("outbox: not started", error);
      });
  }

  // Capture phase on the document: runs before htmx's own submit listener on the form.
  doc.addEventListener("submit", onSubmit, true);
  // Back online: everything waiting goes now, whatever its wait (nothing runs if a stall
  // persists: each send still has its time limit).
  global.addEventListener("online", function () { flushAndRender({ force: true }); });
  // Show "Skickar …" while an item is in flight.
  api.onChange = function () { render().catch(function (error) { report("outbox: render", error); }); };
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      var data = event.data || {};
      if (data.type !== "outbox-sent") return;
      (data.labels || []).forEach(function (label, i) { announce((data.keys || [])[i], label); });
      markAnnounced(data.keys || []);
      render();
    });
  }
  // A boosted navigation swaps the body (and #outbox-status with it): treat it as a page load.
  doc.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail && event.detail.boosted) start();
  });
  // After the load event, in idle time (at most a second later): opening IndexedDB and sending
  // what waits must not hold up the page's first paint and first tap. A submit is caught from the
  // start (the listener above) and queues as usual.
  common.afterLoad(start);

  api.render = render;
  api.flushAndRender = flushAndRender;
})(typeof self !== "undefined" ? self : typeof window !== "undefined" ? window : globalThis);
