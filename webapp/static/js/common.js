// Bofast shared helpers for the page scripts and the service worker: texts in the page's
// language, random keys, fetch with a time limit, and one place to report errors. Loaded before
// outbox.js and pwa.js (<script defer> in order; importScripts in sw.js); touches no DOM at load.
(function (global) {
  "use strict";

  // UI text in the page's language: base.html renders the translations as data-msg-* attributes
  // on #outbox-status (or `source`, e.g. a form with its own texts); the Swedish fallback is all
  // the service worker and the offline page have.
  function msg(name, fallback, vars, source) {
    var box = source || (global.document && global.document.getElementById("outbox-status"));
    var text = (box && box.getAttribute("data-msg-" + name)) || fallback;
    Object.keys(vars || {}).forEach(function (k) { text = text.split("{" + k + "}").join(vars[k]); });
    return text;
  }

  // A random key: a UUID where the browser has randomUUID (https), else 128 random bits in hex
  // (plain-http test hosts).
  function newKey() {
    var crypto = global.crypto;
    if (crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // fetch() that gives up after `ms`: a stalled connection ("lie-fi": online, no answer) must
  // never keep anything waiting without a time limit. Rejects with an error named "TimeoutError".
  function fetchWithTimeout(resource, options, ms) {
    options = options || {};
    if (typeof global.AbortController !== "function") return global.fetch(resource, options);
    var controller = new global.AbortController();
    var timedOut = false;
    var timer = global.setTimeout(function () { timedOut = true; controller.abort(); }, ms);
    var merged = {};
    Object.keys(options).forEach(function (k) { merged[k] = options[k]; });
    merged.signal = controller.signal;
    // The timer stays armed after the headers: a body that stalls halfway is cut off too (an abort
    // after the body was read changes nothing).
    return global.fetch(resource, merged).catch(function (error) {
      global.clearTimeout(timer);
      if (timedOut) {
        var timeout = new Error("no answer within " + ms + " ms");
        timeout.name = "TimeoutError";
        throw timeout;
      }
      throw error;
    });
  }

  // Errors are logged where a developer (or support, with the phone's console) can see them,
  // never silently dropped; `where` says what was being done.
  function report(where, error) {
    if (global.console && global.console.warn) global.console.warn("bofast: " + where, error);
  }

  // Work for later (IndexedDB, the worker, offline copies) runs when the browser has nothing
  // better to do, at most `ms` later, so it never holds up a page's first paint and first tap.
  function whenIdle(task, ms) {
    if (typeof global.requestIdleCallback === "function") {
      global.requestIdleCallback(task, { timeout: ms || 1000 });
    } else {
      global.setTimeout(task, 1);
    }
  }

  // The same, but not before the page's load event.
  function afterLoad(task, ms) {
    var doc = global.document;
    if (!doc || doc.readyState === "complete") whenIdle(task, ms);
    else global.addEventListener("load", function () { whenIdle(task, ms); }, { once: true });
  }

  // Work at page start, in a task of its own. Everything the page scripts registered for
  // DOMContentLoaded runs in the one task that also runs htmx's start-up; on a phone's slower CPU
  // that sum is a long task that holds up the first tap. Separate tasks let the browser paint and
  // answer input in between. Scripts are deferred, so the page is parsed when they run.
  function soon(task) { global.setTimeout(task, 0); }

  function onReady(task) {
    var doc = global.document;
    if (doc && doc.readyState === "loading") {
      doc.addEventListener("DOMContentLoaded", function () { soon(task); }, { once: true });
    } else {
      soon(task);
    }
  }

  var api = { msg: msg, newKey: newKey, fetchWithTimeout: fetchWithTimeout, report: report,
              whenIdle: whenIdle, afterLoad: afterLoad, soon: soon, onReady: onReady };
  global.BofastCommon = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api; // node unit tests
})(typeof self !== "undefined" ? self : typeof window !== "undefined" ? window : globalThis);
