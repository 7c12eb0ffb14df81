// Unit tests for the checklist form's script (webapp/static/js/checklist.js) in a small fake
// page: it uses the shared helpers (common.js), reports errors instead of dropping them, and does
// no eager work at load. Run: node --test tests/js/  (pytest runs them too: tests/test_js_units.py).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const STATIC = path.join(__dirname, "..", "..", "webapp", "static", "js");
const SOURCE = fs.readFileSync(path.join(STATIC, "checklist.js"), "utf8");
const common = require(path.join(STATIC, "common.js"));

function fakeElement(attributes, children) {
  const attrs = Object.assign({}, attributes);
  return {
    getAttribute: (name) => (name in attrs ? attrs[name] : null),
    hasAttribute: (name) => name in attrs,
    setAttribute: (name, value) => { attrs[name] = String(value); },
    querySelector: (selector) => (children || {})[selector] || null,
    querySelectorAll: () => [],
  };
}

// A checklist form page: the form asks for its draft to be restored; `stored` is what
// localStorage holds for it.
function loadPage(stored) {
  const reported = [];
  const idle = [];
  const outboxReads = [];
  const keyInput = { value: "" };
  const form = fakeElement(
    { "data-draft-key": "bofast-checklist-draft:7:1", "data-restore-draft": "",
      "data-msg-answer": "Choose OK, Remark or Not applicable." },
    { 'input[name="idempotency_key"]': keyInput });
  const listeners = {};
  const document = {
    body: fakeElement({ "data-user-id": "7" }),
    addEventListener: (type, fn) => { listeners[type] = fn; },
    querySelector: () => null,
    querySelectorAll: (selector) => (selector === 'form[data-outbox="checklist"]' ? [form] : []),
    getElementById: () => null,
  };
  const page = {
    document,
    location: { href: "http://bofast.test/participants/1/checklists/new", hash: "" },
    localStorage: { getItem: () => stored, setItem: () => {}, removeItem: () => {}, length: 0 },
    CSS: { supports: () => true },
    indexedDB: {},
    BofastOutbox: { allItems: () => { outboxReads.push(1); return Promise.resolve([]); } },
    BofastCommon: Object.assign({}, common, {
      report: (where, error) => reported.push([where, error]),
      newKey: () => "key-from-common",
      whenIdle: (task) => idle.push(task),  // the shared idle scheduler (common.js)
    }),
    addEventListener: () => {},
    setTimeout, clearTimeout, URL, JSON, Array, Object, String, Promise,
  };
  page.window = page;
  vm.runInNewContext(SOURCE, page);
  listeners.DOMContentLoaded();
  return { reported, idle, outboxReads, keyInput, form, common: page.BofastCommon };
}

test("the idempotency key comes from the shared helper", () => {
  const page = loadPage(null);
  assert.equal(page.keyInput.value, "key-from-common");
});

test("a draft that cannot be read is reported, not silently dropped", () => {
  const page = loadPage("{not json");
  assert.equal(page.reported.length, 1);
  assert.equal(page.reported[0][0], "checklist: draft not readable");
  assert.ok(page.reported[0][1] instanceof Error);
});

test("the outbox is read in idle time, not while the form loads", async () => {
  const page = loadPage(null);
  assert.equal(page.outboxReads.length, 0);
  assert.equal(page.idle.length, 1);
  page.idle[0]();
  await Promise.resolve();
  assert.equal(page.outboxReads.length, 1);
});

test("texts: an element's own data-msg-* come first, then the Swedish fallback", () => {
  const form = fakeElement({ "data-msg-answer": "Choose OK, Remark or Not applicable." });
  assert.equal(common.msg("answer", "Välj OK, Anmärkning eller Ej aktuellt.", null, form),
               "Choose OK, Remark or Not applicable.");
  assert.equal(common.msg("remark", "Skriv vad anmärkningen gäller.", null, form),
               "Skriv vad anmärkningen gäller.");
});
