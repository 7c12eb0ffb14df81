// Unit tests for the outbox's pure rules (webapp/static/js/outbox.js) and the shared helpers
// (common.js). Run: node --test tests/js/  (pytest runs them too: tests/test_js_units.py).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const STATIC = path.join(__dirname, "..", "..", "webapp", "static", "js");
const common = require(path.join(STATIC, "common.js"));
const outbox = require(path.join(STATIC, "outbox.js"));

test("new keys are unique UUIDs (or 32 hex digits without randomUUID)", () => {
  const keys = new Set(Array.from({ length: 200 }, () => outbox.newKey()));
  assert.equal(keys.size, 200);
  for (const key of keys) assert.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

  const saved = globalThis.crypto.randomUUID;
  Object.defineProperty(globalThis.crypto, "randomUUID", { value: undefined, configurable: true });
  try {
    const key = common.newKey();
    assert.match(key, /^[0-9a-f]{32}$/);
    assert.notEqual(common.newKey(), key);
  } finally {
    Object.defineProperty(globalThis.crypto, "randomUUID", { value: saved, configurable: true });
  }
});

test("retry waits grow, are capped at five minutes, and spread by at most 20 %", () => {
  const middle = [1, 2, 3, 4, 5].map((n) => outbox.retryDelay(n, 0.5));
  assert.deepEqual(middle, [2000, 4000, 8000, 16000, 32000]);
  assert.equal(outbox.retryDelay(0, 0.5), 2000); // a first try that never counted
  assert.equal(outbox.retryDelay(9, 0.5), 300000);
  assert.equal(outbox.retryDelay(1000, 0.5), 300000);
  assert.equal(outbox.retryDelay(1, 0), 1600);
  assert.equal(outbox.retryDelay(1, 0.999999), 2400);
  for (let n = 1; n < 30; n++) {
    assert.ok(outbox.retryDelay(n + 1, 0) >= outbox.retryDelay(n, 0), `attempt ${n}`);
    assert.ok(outbox.retryDelay(n, 1) <= 360000);
  }
});

test("answers: saved, rejected (worker corrects), or try later", () => {
  const answer = (fields) => outbox.classify({ ok: false, status: 0, data: null, path: "/x", redirected: false, ...fields });
  assert.deepEqual(answer({ ok: true, status: 201, data: { ok: true, id: 1 } }), { outcome: "sent" });
  assert.deepEqual(answer({ ok: true, status: 200, data: null }), { outcome: "sent" });
  // A 200 that is the login page (session ended) is not a save.
  assert.deepEqual(answer({ ok: true, status: 200, path: "/login", redirected: true }),
    { outcome: "retry", waitingFor: "login" });
  // ok:false in a 2xx is outside the contract (errors come as 422): kept and tried again.
  assert.deepEqual(answer({ ok: true, status: 200, data: { ok: false } }), { outcome: "retry", waitingFor: "server" });
  for (const status of [403, 404, 409, 410, 422]) {
    assert.deepEqual(answer({ status }), { outcome: "failed" }, String(status));
  }
  assert.deepEqual(answer({ status: 400 }), { outcome: "retry", waitingFor: "login" });
  assert.deepEqual(answer({ status: 401 }), { outcome: "retry", waitingFor: "login" });
  for (const status of [408, 429, 500, 502, 503, 504]) {
    assert.deepEqual(answer({ status }), { outcome: "retry", waitingFor: "server" }, String(status));
  }
});

test("an item is due when it waits and its wait is over", () => {
  const now = 1_000_000;
  assert.equal(outbox.isDue({ status: "pending" }, now), true);
  assert.equal(outbox.isDue({ status: "pending", nextAttemptAt: now }, now), true);
  assert.equal(outbox.isDue({ status: "pending", nextAttemptAt: now + 1 }, now), false);
  assert.equal(outbox.isDue({ status: "sending" }, now), true);
  assert.equal(outbox.isDue({ status: "sent" }, now), false);
  assert.equal(outbox.isDue({ status: "failed" }, now), false);
});

test("the send lease: one sender at a time, and a dead tab's lease runs out", () => {
  const now = 1_000_000;
  assert.equal(outbox.canClaim({}, "tab-a", now), true);
  const leased = { lease: { owner: "tab-a", until: now + 5000 } };
  assert.equal(outbox.canClaim(leased, "tab-b", now), false);
  assert.equal(outbox.canClaim(leased, "tab-a", now), true);
  assert.equal(outbox.canClaim(leased, "tab-b", now + 5000), true);
  assert.equal(outbox.inFlight(leased, now), true);
  assert.equal(outbox.inFlight(leased, now + 5000), false);
  assert.equal(outbox.inFlight({}, now), false);
});

test("the next automatic try: the earliest wait, not for sign-in waits or other users", () => {
  const now = 1_000_000;
  const items = [
    { user: "1", status: "pending", nextAttemptAt: now + 8000 },
    { user: "1", status: "pending", nextAttemptAt: now + 4000 },
    { user: "1", status: "pending", waitingFor: "login" },
    { user: "1", status: "sent", nextAttemptAt: now + 1 },
    { user: "2", status: "pending", nextAttemptAt: now + 1 },
  ];
  assert.equal(outbox.nextTryAt(items, "1", now), now + 4000);
  assert.equal(outbox.nextTryAt([{ user: "1", status: "pending", lease: { owner: "x", until: now + 700 } }], "1", now),
    now + 700);
  assert.equal(outbox.nextTryAt(items.slice(2), "1", now), null);
  assert.equal(outbox.nextTryAt([], "1", now), null);
});

test("sends give up after a time limit", () => {
  assert.ok(outbox.SEND_TIMEOUT_MS >= 5000 && outbox.SEND_TIMEOUT_MS <= 15000);
});

test("fetchWithTimeout rejects with a TimeoutError when no answer comes", async () => {
  const saved = globalThis.fetch;
  globalThis.fetch = (url, options) => new Promise((resolve, reject) => {
    options.signal.addEventListener("abort", () => reject(new Error("aborted")));
  });
  try {
    await assert.rejects(common.fetchWithTimeout("/x", {}, 30), { name: "TimeoutError" });
  } finally {
    globalThis.fetch = saved;
  }
});

test("texts: the Swedish fallback with its {marks} filled in", () => {
  assert.equal(common.msg("waiting", "{count} väntar på att skickas", { count: 2 }), "2 väntar på att skickas");
});
