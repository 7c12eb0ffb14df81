// Unit tests for the shared idle scheduling in common.js (used by outbox.js, pwa.js and
// checklist.js). Run: node --test tests/js/  (pytest runs them too: tests/test_js_units.py).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const SOURCE = fs.readFileSync(
  path.join(__dirname, "..", "..", "webapp", "static", "js", "common.js"), "utf8");

// common.js in a fake page: `readyState`, and whether the browser has requestIdleCallback.
function loadCommon(readyState, withIdle) {
  const idle = [], timers = [], listeners = {};
  const docListeners = {};
  const page = {
    document: { readyState, getElementById: () => null,
                addEventListener: (name, task) => { docListeners[name] = task; } },
    addEventListener: (name, task) => { listeners[name] = task; },
    setTimeout: (task) => timers.push(task),
    clearTimeout: () => {},
  };
  if (withIdle) page.requestIdleCallback = (task, options) => idle.push([task, options]);
  page.self = page;
  vm.runInNewContext(SOURCE, page);
  return { common: page.BofastCommon, idle, timers, listeners, docListeners };
}

test("whenIdle uses requestIdleCallback with a time limit, else a timer", () => {
  const page = loadCommon("complete", true);
  page.common.whenIdle(() => {}, 2000);
  assert.equal(page.idle.length, 1);
  assert.equal(page.idle[0][1].timeout, 2000);
  page.common.whenIdle(() => {});
  assert.equal(page.idle[1][1].timeout, 1000);  // at most a second by default

  const old = loadCommon("complete", false);
  old.common.whenIdle(() => {});
  assert.equal(old.timers.length, 1);
});

test("afterLoad waits for the load event before it waits for idle time", () => {
  const page = loadCommon("loading", true);
  let ran = false;
  page.common.afterLoad(() => { ran = true; });
  assert.equal(page.idle.length, 0);
  page.listeners.load();
  assert.equal(page.idle.length, 1);
  page.idle[0][0]();
  assert.ok(ran);

  const loaded = loadCommon("complete", true);
  loaded.common.afterLoad(() => {});
  assert.equal(loaded.idle.length, 1);  // already loaded: straight to idle time
});

test("onReady runs the work in a task of its own once the page is parsed", () => {
  const parsed = loadCommon("interactive", true);  // deferred scripts run here
  let ran = 0;
  parsed.common.onReady(() => { ran += 1; });
  assert.equal(ran, 0);                  // not inside the script's (or DOMContentLoaded's) task
  assert.equal(parsed.timers.length, 1);
  parsed.timers[0]();
  assert.equal(ran, 1);

  const loading = loadCommon("loading", true);
  loading.common.onReady(() => { ran += 1; });
  assert.equal(loading.timers.length, 0);
  loading.docListeners.DOMContentLoaded();
  assert.equal(ran, 1);                  // DOMContentLoaded only schedules it
  loading.timers[0]();
  assert.equal(ran, 2);
});
