// The monthly checklist form: live progress ("12 av 22"), remark fields shown when needed, a
// draft kept on the device (localStorage, per participant) until the checklist is sent, and
// the idempotency key for the offline outbox. Everything here is an enhancement: the form
// works without it.
(function () {
  "use strict";

  var FORM = 'form[data-outbox="checklist"]';
  var PREFIX = "bofast-checklist-draft:";
  var SKIP = { csrf_token: true, template_version: true };

  function store() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // Plain-http test hosts have no randomUUID; getRandomValues is enough for a unique key.
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function ensureKey(form) {
    var input = form.querySelector('input[name="idempotency_key"]');
    if (input && !input.value) input.value = newKey();
  }

  function readDraft(key) {
    var s = store();
    if (!s || !key) return null;
    try { return JSON.parse(s.getItem(key) || "null"); } catch (e) { return null; }
  }

  function saveDraft(form) {
    var s = store();
    var key = form.getAttribute("data-draft-key");
    if (!s || !key) return;
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "submit" || el.type === "button") return;
      if (el.type === "radio") {
        if (el.checked) values[el.name] = el.value;
      } else if (el.type === "checkbox") {
        values[el.name] = el.checked ? el.value : "";
      } else {
        values[el.name] = el.value;
      }
    });
    try {
      s.setItem(key, JSON.stringify({ savedAt: new Date().toISOString(), values: values }));
    } catch (e) { /* storage full or blocked: the form still works */ }
  }

  function applyDraft(form, draft) {
    var values = draft.values || {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || !(el.name in values)) return;
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = values[el.name] === el.value;
      } else if (el.type !== "submit" && el.type !== "button") {
        el.value = values[el.name];
      }
    });
  }

  function removeDraft(key) {
    var s = store();
    if (s && key) s.removeItem(key);
  }

  // A checklist the server confirmed (its page shows the idempotency key): drop its draft.
  function forgetSent(idempotencyKey) {
    var s = store();
    if (!s || !idempotencyKey) return;
    for (var i = s.length - 1; i >= 0; i--) {
      var name = s.key(i);
      if (name && name.indexOf(PREFIX) === 0) {
        var draft = readDraft(name);
        if (draft && draft.values && draft.values.idempotency_key === idempotencyKey) {
          s.removeItem(name);
        }
      }
    }
  }

  function toggleRemark(item) {
    var remark = item.querySelector("[data-remark]");
    if (!remark) return;
    var chosen = item.querySelector('input[type="radio"]:checked');
    var text = remark.querySelector("textarea");
    var needed = (chosen && chosen.value === "remark") || (text && text.value.trim() !== "") ||
      item.classList.contains("has-error");
    remark.hidden = !needed;
    item.classList.toggle("is-remark", !!(chosen && chosen.value === "remark"));
  }

  function updateProgress(form) {
    var items = form.querySelectorAll("[data-item]");
    var done = 0;
    items.forEach(function (item) {
      if (item.querySelector('input[type="radio"]:checked')) done += 1;
    });
    var count = form.querySelector("[data-progress-count]");
    var bar = form.querySelector("[data-progress]");
    if (count) count.textContent = String(done);
    if (bar) bar.value = done;
  }

  function setup(form) {
    if (form.hasAttribute("data-checklist-ready")) return;
    form.setAttribute("data-checklist-ready", "");
    if (form.hasAttribute("data-restore-draft")) {
      var draft = readDraft(form.getAttribute("data-draft-key"));
      if (draft) {
        applyDraft(form, draft);
        var notice = document.querySelector("[data-draft-notice]");
        if (notice) notice.hidden = false;
      }
    }
    ensureKey(form);
    form.querySelectorAll("[data-item]").forEach(toggleRemark);
    updateProgress(form);
  }

  function enhance(root) {
    var scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll(FORM).forEach(setup);
    scope.querySelectorAll("[data-checklist-saved]").forEach(function (el) {
      forgetSent(el.getAttribute("data-checklist-saved"));
    });
    scope.querySelectorAll("[data-print][hidden]").forEach(function (b) { b.hidden = false; });
  }

  function onEdit(event) {
    var form = event.target.closest && event.target.closest(FORM);
    if (!form) return;
    var item = event.target.closest("[data-item]");
    if (item && event.target.type === "radio") toggleRemark(item);
    updateProgress(form);
    saveDraft(form);
  }

  document.addEventListener("change", onEdit);
  document.addEventListener("input", onEdit);

  document.addEventListener("click", function (event) {
    var discard = event.target.closest("[data-discard-draft]");
    if (discard) {
      var form = document.querySelector(FORM);
      if (form) {
        removeDraft(form.getAttribute("data-draft-key"));
        form.reset();  // back to what the server sent
        var key = form.querySelector('input[name="idempotency_key"]');
        if (key) key.value = "";
        ensureKey(form);
        form.querySelectorAll("[data-item]").forEach(toggleRemark);
        updateProgress(form);
      }
      var notice = discard.closest("[data-draft-notice]");
      if (notice) notice.hidden = true;
      return;
    }
    if (event.target.closest("[data-print]")) window.print();
  });

  // The outbox took the checklist (offline): it is sent later with the same key, so the
  // draft is no longer needed on this device.
  document.addEventListener("outbox:queued", function (event) {
    var form = event.target.closest && event.target.closest(FORM);
    if (form) removeDraft(form.getAttribute("data-draft-key"));
  });

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
