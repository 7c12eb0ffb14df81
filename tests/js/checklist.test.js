// Unit tests for the checklist form's script (webapp/static/js/checklist.js) in a small fake
// page: it uses the shared helpers (common.js), reports errors instead of dropping them, and does
// no eager work at load: the form is set up in a task of its own, its draft read in the next. Run: node --test tests/js/  (pytest runs them too: tests/test_js_units.py).
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
function loadPage(stored, options) {
  const reported = [];
  const idle = [];
  const tasks = [];
  const outboxReads = [];
  const storageReads = [];
  const keyInput = { value: "", name: "idempotency_key", type: "hidden" };
  const present = { value: "", name: "present", type: "text" };
  const form = fakeElement(
    { "data-draft-key": "bofast-checklist-draft:7:1", "data-restore-draft": "",
      "data-msg-answer": "Choose OK, Remark or Not applicable." },
    { 'input[name="idempotency_key"]': keyInput });
  form.elements = [keyInput, present];
  form.matches = () => true;
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
    localStorage: { getItem: (key) => { storageReads.push(key); return stored; },
                    setItem: (key, value) => { stored = value; }, removeItem: () => {}, length: 0 },
    CSS: { supports: () => true },
    indexedDB: {},
    BofastOutbox: { allItems: () => { outboxReads.push(1); return Promise.resolve([]); } },
    BofastCommon: Object.assign({}, common, {
      report: (where, error) => reported.push([where, error]),
      newKey: () => "key-from-common",
      whenIdle: (task) => idle.push(task),  // the shared idle scheduler (common.js)
      soon: (task) => tasks.push(task),      // a task of its own (common.js)
      onReady: (task) => tasks.push(task),
    }),
    addEventListener: () => {},
    setTimeout, clearTimeout, URL, JSON, Array, Object, String, Promise,
  };
  page.window = page;
  vm.runInNewContext(SOURCE, page);
  // Each scheduled task runs on its own, in order; `between` runs after the form's set-up task.
  function runTasks(between) {
    let n = 0;
    while (tasks.length) {
      tasks.shift()();
      n += 1;
      if (n === 1 && between) between();
    }
  }
  if (!(options && options.manual)) runTasks();
  return { reported, idle, tasks, runTasks, outboxReads, storageReads, keyInput, present, form,
           listeners, getStored: () => stored, common: page.BofastCommon };
}

test("nothing is done while the scripts load: set-up and draft are tasks of their own", () => {
  const page = loadPage(JSON.stringify({ values: { present: "Anna och jag" } }), { manual: true });
  assert.equal(page.tasks.length, 1);          // the form's set-up, not run yet
  assert.equal(page.listeners.DOMContentLoaded, undefined);
  page.tasks.shift()();
  assert.equal(page.keyInput.value, "key-from-common");
  assert.deepEqual(page.storageReads, []);     // the draft waits for the next task
  assert.equal(page.tasks.length, 1);
  page.tasks.shift()();
  assert.deepEqual(page.storageReads, ["bofast-checklist-draft:7:1"]);
  assert.equal(page.present.value, "Anna och jag");
});

test("a field typed in before the draft was read keeps what was typed, and is saved", () => {
  const draft = { values: { present: "from the draft", idempotency_key: "old-key" } };
  const page = loadPage(JSON.stringify(draft), { manual: true });
  page.runTasks(() => {
    page.present.value = "typed at once";
    page.listeners.input({ target: Object.assign(page.present, { closest: (s) => (s === "[data-item]" ? null : page.form) }) });
    assert.equal(page.getStored(), JSON.stringify(draft));  // not overwritten before it is read
  });
  assert.equal(page.present.value, "typed at once");
  assert.equal(page.keyInput.value, "old-key");             // the rest comes from the draft
  assert.equal(JSON.parse(page.getStored()).values.present, "typed at once");
});

test("a field changed before the script started keeps its value over the draft, and is saved", () => {
  // The script comes after the first paint (loader.js): a tap or a word may come first.
  const draft = { values: { present: "from the draft", idempotency_key: "old-key" } };
  const page = loadPage(JSON.stringify(draft), { manual: true });
  page.present.defaultValue = "";          // what the server sent
  page.present.value = "typed before the script";
  page.runTasks();
  assert.equal(page.present.value, "typed before the script");
  assert.equal(page.keyInput.value, "old-key");             // the rest comes from the draft
  assert.equal(JSON.parse(page.getStored()).values.present, "typed before the script");
});

test("a field as the server sent it is filled from the draft", () => {
  const draft = { values: { present: "from the draft" } };
  const page = loadPage(JSON.stringify(draft), { manual: true });
  page.present.defaultValue = "";
  page.runTasks();
  assert.equal(page.present.value, "from the draft");
});

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
