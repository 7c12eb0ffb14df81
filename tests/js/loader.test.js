// Unit tests for loader.js: the page's scripts start only after the first paint and the load
// event (htmx starts at once only after load), in the listed order, and <html> is marked ready
// when the last one has run or failed. Run: node --test tests/js/ (pytest runs them too).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const SOURCE = fs.readFileSync(
  path.join(__dirname, "..", "..", "webapp", "static", "js", "loader.js"), "utf8");

function loadPage(readyState) {
  const appended = [], timers = [], winListeners = {}, observers = [];
  const attributes = {};
  const page = {
    document: {
      readyState,
      visibilityState: "visible",
      currentScript: { getAttribute: () => "/a.js /b.js" },
      head: { appendChild: (el) => appended.push(el) },
      documentElement: { setAttribute: (name) => { attributes[name] = true; } },
      createElement: () => ({}),
      addEventListener: () => {},
    },
    addEventListener: (name, task) => { winListeners[name] = task; },
    setTimeout: (task, ms) => timers.push([task, ms]),
    PerformanceObserver: Object.assign(function (callback) {
      observers.push(callback);
      this.observe = () => {};
      this.disconnect = () => {};
    }, { supportedEntryTypes: ["paint"] }),
  };
  page.window = page;
  vm.runInNewContext(SOURCE, page);
  const paint = () => observers[0]({
    getEntriesByName: (name) => (name === "first-contentful-paint" ? [{}] : []),
  });
  // One round: the timers set so far (those set while they run wait for the next round).
  const runRound = (under) => {
    timers.splice(0).forEach(([task, ms]) => { if (ms === undefined || ms < under) task(); });
  };
  const runTimers = (under) => {
    while (timers.length) runRound(under);
  };
  return { page, appended, timers, winListeners, attributes, paint, runRound, runTimers };
}

test("scripts wait for the first paint and then for the load event", () => {
  const p = loadPage("interactive");
  p.runTimers(1000);
  assert.equal(p.appended.length, 0);
  p.paint();
  p.runTimers(1000);
  assert.equal(p.appended.length, 0, "painted, but htmx would miss DOMContentLoaded");
  p.page.document.readyState = "complete";
  p.winListeners.load();
  p.runTimers(1000);
  assert.deepEqual(p.appended.map((s) => s.src), ["/a.js", "/b.js"]);
  assert.ok(p.appended.every((s) => s.async === false), "in the listed order");
});

test("after load, the first paint starts them", () => {
  const p = loadPage("complete");
  p.paint();
  p.runTimers(1000);
  assert.deepEqual(p.appended.map((s) => s.src), ["/a.js", "/b.js"]);
});

test("html is marked ready when the last script has run or failed", () => {
  const p = loadPage("complete");
  p.paint();
  p.runTimers(1000);
  p.appended[0].onerror();
  assert.equal(p.attributes["data-scripts-ready"], undefined);
  p.appended[1].onload();
  assert.equal(p.attributes["data-scripts-ready"], true);
});

test("without a paint report they still start, after the fallback", () => {
  const p = loadPage("complete");
  assert.ok(p.timers.some(([, ms]) => ms === 3000));
  p.runTimers(10000);
  assert.equal(p.appended.length, 2);
});

test("each script element is added in a task of its own", () => {
  const p = loadPage("complete");
  p.paint();
  p.runRound(1000); // the task after the paint: the loader starts, the first script is added
  assert.deepEqual(p.appended.map((s) => s.src), ["/a.js"]);
  p.runRound(1000);
  assert.deepEqual(p.appended.map((s) => s.src), ["/a.js", "/b.js"]);
  p.runTimers(1000);
  assert.equal(p.appended.length, 2, "each added once");
});
