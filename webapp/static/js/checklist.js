// The monthly checklist form: live progress ("12 av 22"), remark fields shown when needed,
// checks on the phone before anything is queued (also offline), a draft kept on the device
// (localStorage, per user and participant) until the server confirms the send, and the
// idempotency key for the offline outbox. Everything here is an enhancement: the form works
// without it. Shared helpers (keys, errors) come from common.js, loaded before this file.
//
// Nothing is laid out again at load: the remark fields follow the chosen answer in CSS
// (app.css), the progress count comes from the server, and the outbox is read in idle time, so
// the form shows at once and does not move (no long task, no layout shift).
(function () {
  "use strict";

  var common = window.BofastCommon;
  var report = common.report;
  var newKey = common.newKey;

  var FORM = 'form[data-outbox="checklist"]';
  var PREFIX = "bofast-checklist-draft:";
  var SKIP = { csrf_token: true, template_version: true };
  var POLL_MS = 1500;

  function store() {
    try { return window.localStorage; } catch (error) {
      report("checklist: no local storage, no draft kept", error);
      return null;
    }
  }

  function outbox() {
    return window.BofastOutbox && window.indexedDB ? window.BofastOutbox : null;
  }

  function bodyUser() { return document.body.getAttribute("data-user-id") || ""; }

  function keyInput(form) { return form.querySelector('input[name="idempotency_key"]'); }

  function ensureKey(form) {
    var input = keyInput(form);
    if (input && !input.value) input.value = newKey();
  }

  // The form carries its own texts (data-msg-* on the form, in the page's language).
  function msg(form, name, fallback) {
    return common.msg(name, fallback, null, form);
  }

  // ---- Drafts ----
  function readDraft(key) {
    var s = store();
    if (!s || !key) return null;
    try { return JSON.parse(s.getItem(key) || "null"); } catch (error) {
      report("checklist: draft not readable", error);
      return null;
    }
  }

  function saveDraft(form) {
    var s = store();
    var key = form.getAttribute("data-draft-key");
    if (!s || !key || form.hasAttribute("data-queued")) return;
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
    } catch (error) {
      // Storage full or blocked: the form still posts, only the draft is not kept.
      report("checklist: draft not saved", error);
    }
  }

  function applyDraft(form, draft, edited) {
    var values = draft.values || {};
    addFollowupsFor(form, values);
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || !(el.name in values) || (edited && edited[el.name])) return;
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

  // ---- Follow-up fields, added when needed ----
  // An item's follow-up fields (åtgärd, ansvarig, klart senast) come inside <noscript> when
  // nothing calls for them yet (checklists/form.html): a browser without JavaScript shows them as
  // fields, one with it keeps them as text. So the form does not build, lay out and hand to the
  // browser's form filler 66 fields at load that a remark needs now and then; they become fields
  // when the item is answered "Anmärkning", or before a draft or a stored send fills the form.
  function addFollowup(item) {
    var later = item.querySelector("noscript[data-followup-later]");
    if (!later) return;
    var template = document.createElement("template");
    template.innerHTML = later.textContent;
    later.parentNode.replaceChild(template.content, later);
  }

  // Before `values` (field name -> value) go into the form: the follow-ups they need.
  function addFollowupsFor(form, values) {
    form.querySelectorAll("[data-item]").forEach(function (item) {
      var key = (item.id || "").replace(/^answer-/, "");
      if (values["answer-" + key] === "remark" || values["followup_action-" + key] ||
          values["followup_owner-" + key] || values["followup_due-" + key]) {
        addFollowup(item);
      }
    });
  }

  // ---- Remarks and progress ----
  // The remark field and its follow-up show with the answer "Anmärkning" by CSS (app.css, with
  // :has()). Here only what CSS cannot see: a remark that has text stays in view under another
  // answer (nothing typed is hidden). A browser without :has() gets the old way: `hidden`.
  var HAS_SELECTOR = !!(window.CSS && CSS.supports && CSS.supports("selector(:has(*))"));

  function toggleRemark(item) {
    var remark = item.querySelector("[data-remark]");
    if (!remark) return;
    var chosen = item.querySelector('input[type="radio"]:checked');
    var isRemark = !!(chosen && chosen.value === "remark");
    if (isRemark) addFollowup(item);
    var text = remark.querySelector("textarea");
    var hasText = !!text && text.value.trim() !== "";
    // Written only when it changes: a write makes the browser lay the form out again.
    if (remark.classList.contains("remark-kept") !== (hasText && !isRemark)) {
      remark.classList.toggle("remark-kept", hasText && !isRemark);
    }
    if (HAS_SELECTOR) return;
    item.classList.toggle("is-remark", isRemark);
    remark.hidden = !(isRemark || hasText || remark.querySelector(".field-error"));
    item.querySelectorAll("[data-followup]").forEach(function (box) { box.hidden = !isRemark; });
  }

  function updateProgress(form) {
    var items = form.querySelectorAll("[data-item]");
    var done = 0;
    items.forEach(function (item) {
      if (item.querySelector('input[type="radio"]:checked')) done += 1;
    });
    var count = form.querySelector("[data-progress-count]");
    var bar = form.querySelector("[data-progress]");
    if (count && count.textContent !== String(done)) count.textContent = String(done);
    if (bar && bar.value !== done) bar.value = done;
  }

  // ---- Checks on the phone (the same rules as the server, which checks again) ----
  function field(form, name) { return form.querySelector('[name="' + name + '"]'); }

  // A follow-up (åtgärd, ansvarig, klart senast): once any part is given, the action and the
  // person responsible are needed.
  function followupProblems(form, item, label) {
    var action = item.querySelector("[name^='followup_action-']");
    var owner = item.querySelector("[name^='followup_owner-']");
    var due = item.querySelector("[name^='followup_due-']");
    if (!action || !owner) return [];
    var any = action.value.trim() || owner.value || (due && due.value);
    var found = [];
    if (any && !action.value.trim()) {
      found.push({ name: action.name, label: label,
                   text: msg(form, "followup-action", "Skriv vilken åtgärd som ska göras.") });
    }
    if (any && !owner.value) {
      found.push({ name: owner.name, label: label,
                   text: msg(form, "followup-owner", "Välj vem som är ansvarig.") });
    }
    return found;
  }

  function problems(form) {
    var found = [];
    form.querySelectorAll("[data-item]").forEach(function (item) {
      var chosen = item.querySelector('input[type="radio"]:checked');
      var legend = item.querySelector("legend");
      var label = legend ? legend.textContent.trim() : "";
      if (!chosen) {
        found.push({ name: item.id, label: label,
                     text: msg(form, "answer", "Välj OK, Anmärkning eller Ej aktuellt.") });
      } else if (chosen.value === "remark") {
        var remark = item.querySelector("textarea[name^='remark-']");
        if (remark && !remark.value.trim()) {
          found.push({ name: remark.name, label: label,
                       text: msg(form, "remark", "Skriv vad anmärkningen gäller.") });
        }
        followupProblems(form, item, label).forEach(function (p) { found.push(p); });
      }
    });
    var held = field(form, "held_on");
    if (held && !held.value.trim()) {
      found.push({ name: "held_on", text: msg(form, "held-on", "Ange datum för genomgången.") });
    }
    var present = field(form, "present");
    if (present && !present.value.trim()) {
      found.push({ name: "present", text: msg(form, "present", "Skriv vilka som var med.") });
    }
    var agrees = field(form, "tenant_agrees");
    var comment = field(form, "tenant_comment");
    if (agrees && comment && !agrees.checked && !comment.value.trim()) {
      found.push({ name: "tenant_comment", text: msg(form, "tenant",
        "Kryssa i att hyresgästen instämmer, eller skriv hyresgästens egen kommentar.") });
    }
    return found;
  }

  function clearErrors(form) {
    document.querySelectorAll(".error-summary").forEach(function (box) { box.remove(); });
    form.querySelectorAll(".field-error").forEach(function (node) { node.remove(); });
    form.querySelectorAll(".has-error").forEach(function (node) { node.classList.remove("has-error"); });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
    });
    form.querySelectorAll("[data-error-described]").forEach(function (node) {
      var rest = (node.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && !/-error$/.test(id);
      }).join(" ");
      if (rest) node.setAttribute("aria-describedby", rest);
      else node.removeAttribute("aria-describedby");
      node.removeAttribute("data-error-described");
    });
  }

  function describe(node, id) {
    var ids = (node.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (ids.indexOf(id) < 0) ids.push(id);
    node.setAttribute("aria-describedby", ids.join(" "));
    node.setAttribute("data-error-described", "");
  }

  // One error: inside its item's box (or its field), and described by it.
  function showError(form, problem) {
    var target = document.getElementById(problem.name) || field(form, problem.name);
    if (!target || !form.contains(target)) return null;
    var id = problem.name + "-error";
    var error = document.createElement("p");
    error.className = "field-error";
    error.id = id;
    error.textContent = problem.text;
    if (target.matches("[data-item]")) {
      var choices = target.querySelector(".choices");
      target.insertBefore(error, choices ? choices.nextSibling : null);
      target.classList.add("has-error");
      describe(target, id);
    } else {
      var details = target.closest("details");
      if (details) details.open = true;
      var box = target.closest(".field, [data-remark]") || target.parentNode;
      box.appendChild(error);
      box.classList.add("has-error");
      var item = target.closest("[data-item]");
      if (item) item.classList.add("has-error");
      target.setAttribute("aria-invalid", "true");
      describe(target, id);
    }
    return target;
  }

  function showProblems(form, found, title) {
    clearErrors(form);
    found.forEach(function (problem) { showError(form, problem); });
    form.querySelectorAll("[data-item]").forEach(toggleRemark);
    var summary = document.createElement("div");
    summary.className = "error-summary";
    summary.setAttribute("tabindex", "-1");
    summary.setAttribute("role", "alert");
    summary.setAttribute("data-client-errors", "");
    var heading = document.createElement("h3");
    heading.textContent = (title || msg(form, "summary", "Det här behöver rättas")) +
      " (" + found.length + ")";
    summary.appendChild(heading);
    var list = document.createElement("ul");
    found.forEach(function (problem) {
      var li = document.createElement("li");
      var target = document.getElementById(problem.name) || field(form, problem.name);
      if (target && form.contains(target)) {
        var link = document.createElement("a");
        link.href = "#" + (target.id || problem.name);
        link.textContent = (problem.label ? problem.label + ": " : "") + problem.text;
        li.appendChild(link);
      } else {
        li.textContent = problem.text;
      }
      list.appendChild(li);
    });
    summary.appendChild(list);
    form.parentNode.insertBefore(summary, form);
    summary.focus();
  }

  // Links in the summary: move focus to the item, not just scroll to it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    var focusable = target.matches("input, textarea, select") ? target
      : target.querySelector("input:checked, input, textarea");
    target.scrollIntoView({ block: "center" });
    if (focusable) focusable.focus({ preventScroll: true });
  });

  // Errors the server sent back for an item that was queued: shown on this form only.
  function serverProblems(form, errors) {
    return Object.keys(errors || {}).map(function (name) {
      var text = Array.isArray(errors[name]) ? errors[name].join(" ") : String(errors[name]);
      var target = document.getElementById(name) || field(form, name);
      var item = target && target.closest && target.closest("[data-item]");
      var legend = item && item.querySelector("legend");
      return { name: name, text: text, label: legend ? legend.textContent.trim() : "" };
    });
  }

  // ---- Queued: locked until the server confirms ----
  function setLocked(form, locked) {
    form.toggleAttribute("data-queued", locked);
    form.querySelectorAll("button[type=submit], input, textarea, select").forEach(function (el) {
      if (el.type === "hidden") return;
      el.disabled = locked;
    });
    var note = form.querySelector("[data-queued-notice]");
    if (note) note.hidden = !locked;
    // While it waits, the draft is not something to start over from.
    var draftNotice = document.querySelector("[data-draft-notice]");
    if (draftNotice && locked) draftNotice.hidden = true;
  }

  function showSent(form, item) {
    setLocked(form, true);
    var note = form.querySelector("[data-queued-notice]");
    if (note) note.hidden = true;
    var sent = document.querySelector("[data-sent-notice]");
    if (sent) {
      var link = sent.querySelector("a");
      if (link && item.result && item.result.url) link.href = item.result.url;
      else if (link) link.hidden = true;
      sent.hidden = false;
    }
  }

  var polling = null;
  function watch(form, key) {
    var box = outbox();
    if (!box || !key) return;
    if (polling) window.clearTimeout(polling);
    function check() {
      polling = null;
      box.getItem(key).then(function (item) {
        if (!item) { setLocked(form, false); return; }
        if (item.status === "sent") {
          removeDraft(form.getAttribute("data-draft-key"));
          forgetSent(key);
          showSent(form, item);
          return;
        }
        if (item.status === "failed") {
          setLocked(form, false);
          // After the outbox has finished with its own notice, so the errors land once.
          window.setTimeout(function () { reopen(form, item); }, 400);
          return;
        }
        setLocked(form, true);
        polling = window.setTimeout(check, POLL_MS);
      }).catch(function (error) {
        report("checklist: outbox not readable", error);
        setLocked(form, false);
      });
    }
    check();
  }

  // A refused item: the form filled with what was sent, a new key, the server's errors.
  function reopen(form, item) {
    var values = {};
    (item.fields || []).forEach(function (pair) { values[pair[0]] = pair[1]; });
    addFollowupsFor(form, values);
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.name === "idempotency_key") return;
      if (el.type === "radio" || el.type === "checkbox") el.checked = values[el.name] === el.value;
      else if (el.type !== "submit" && el.type !== "button" && el.name in values) el.value = values[el.name];
    });
    form.setAttribute("data-outbox-replaces", item.key);
    var input = keyInput(form);
    if (input) input.value = newKey(); // the corrected version is a new submission
    saveDraft(form);
    showProblems(form, serverProblems(form, item.errors),
                 msg(form, "refused", "Genomgången kunde inte sparas. Rätta och skicka igen"));
    updateProgress(form);
  }

  function formPath(form) {
    return new URL(form.getAttribute("action") || location.href, location.href).pathname;
  }

  // What the outbox knows about this form: a refused item to correct, or one still waiting.
  function checkOutbox(form, draft) {
    var box = outbox();
    if (!box) return;
    var draftKey = draft && draft.values && draft.values.idempotency_key;
    box.allItems().then(function (items) {
      var mine = items.filter(function (item) {
        return item.kind === "checklist" && item.user === bodyUser() && item.action === formPath(form);
      });
      var byDraft = mine.filter(function (item) { return item.key === draftKey; })[0];
      if (byDraft && byDraft.status === "sent") {
        // Sent while the phone was elsewhere: the draft and its key are done with.
        removeDraft(form.getAttribute("data-draft-key"));
        form.reset();
        var input = keyInput(form);
        if (input) input.value = newKey();
        var notice = document.querySelector("[data-draft-notice]");
        if (notice) notice.hidden = true;
        form.querySelectorAll("[data-item]").forEach(toggleRemark);
        updateProgress(form);
        showSent(form, byDraft);
        return;
      }
      var waiting = mine.filter(function (item) {
        return item.status === "pending" || item.status === "sending";
      })[0];
      if (waiting) { watch(form, waiting.key); return; }
      var failed = mine.filter(function (item) { return item.status === "failed"; }).pop();
      if (failed && !/^#outbox-fix=/.test(location.hash)) reopen(form, failed);
    }).catch(function (error) {
      // No IndexedDB (private mode): the form posts normally.
      report("checklist: outbox not readable", error);
    });
  }

  // Forms whose draft is not read yet, each with the names of the fields edited before it was.
  var unread = typeof WeakMap === "function" ? new WeakMap() : null;

  // Fields the person changed before this script started (it comes after the first paint,
  // loader.js): they differ from what the server sent, and the draft must not overwrite them.
  function editedBeforeStart(form) {
    var edited = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "hidden" || el.type === "submit" ||
          el.type === "button") return;
      var changed;
      if (el.type === "radio" || el.type === "checkbox") {
        changed = typeof el.defaultChecked === "boolean" && el.checked !== el.defaultChecked;
      } else if (el.tagName === "SELECT") {
        changed = Array.prototype.some.call(el.options || [], function (option) {
          return option.selected !== option.defaultSelected;
        });
      } else {
        changed = typeof el.defaultValue === "string" && el.value !== el.defaultValue;
      }
      if (changed) edited[el.name] = true;
    });
    return edited;
  }

  function setup(form) {
    if (form.hasAttribute("data-checklist-ready")) return;
    form.setAttribute("data-checklist-ready", "");
    var early = editedBeforeStart(form);
    ensureKey(form);
    // These only read unless the page differs from what the server sent (a remark with text
    // under another answer, a browser without :has()): nothing is laid out again.
    form.querySelectorAll("[data-item]").forEach(toggleRemark);
    updateProgress(form);
    var summary = document.querySelector(".error-summary[data-autofocus]");
    if (summary) summary.focus();
    if (!form.hasAttribute("data-restore-draft") || !unread) {
      restoreDraft(form, early);
      return;
    }
    // The draft in a task of its own: a page's first localStorage read waits for the browser
    // to load the site's storage, which must not lengthen the task that shows the form.
    unread.set(form, early);
    common.soon(function () {
      var edited = unread.get(form) || {};
      unread.delete(form);
      restoreDraft(form, edited);
    });
  }

  // The stored draft back in the form (fields edited before it was read keep what was typed),
  // then, in idle time, what the outbox knows about the form.
  function restoreDraft(form, edited) {
    var draft = null;
    if (form.hasAttribute("data-restore-draft")) {
      draft = readDraft(form.getAttribute("data-draft-key"));
      if (draft) {
        applyDraft(form, draft, edited);
        form.querySelectorAll("[data-item]").forEach(toggleRemark);
        updateProgress(form);
        var notice = document.querySelector("[data-draft-notice]");
        if (notice) notice.hidden = false;
      }
    }
    if (Object.keys(edited).length) saveDraft(form);
    // The outbox is in IndexedDB: opening it must not hold up the form's first paint and tap.
    common.whenIdle(function () { checkOutbox(form, draft); });
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
    // Typed before the draft was read: noted, so the draft does not overwrite it and is not
    // overwritten before it is read.
    var edited = unread && unread.get(form);
    if (edited && event.target.name) edited[event.target.name] = true;
    var item = event.target.closest("[data-item]");
    if (item && event.target.type === "radio") toggleRemark(item);
    // A fixed error goes away as soon as it is fixed.
    if (form.querySelector(".field-error")) {
      var left = problems(form).map(function (p) { return p.name; });
      form.querySelectorAll(".field-error").forEach(function (error) {
        var name = error.id.replace(/-error$/, "");
        if (left.indexOf(name) < 0) {
          var box = error.closest(".has-error");
          error.remove();
          if (box) box.classList.remove("has-error");
          var owner = document.getElementById(name);
          if (owner && owner.closest("[data-item]") && !owner.closest("[data-item]").querySelector(".field-error")) {
            owner.closest("[data-item]").classList.remove("has-error");
          }
        }
      });
    }
    updateProgress(form);
    if (!edited) saveDraft(form);
  }

  document.addEventListener("change", onEdit);
  document.addEventListener("input", onEdit);
  // The outbox fills a form with what was sent (outbox.js, "Rätta och skicka igen"): the
  // follow-ups in it must be fields first.
  document.addEventListener("outbox:fill", function (event) {
    var form = event.target;
    if (!form || !form.matches || !form.matches(FORM)) return;
    var values = {};
    ((event.detail && event.detail.fields) || []).forEach(function (pair) { values[pair[0]] = pair[1]; });
    addFollowupsFor(form, values);
  });

  // Capture on window: runs before the outbox's own submit listener (capture on document), so
  // nothing incomplete is ever queued.
  window.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.matches || !form.matches(FORM)) return;
    if (form.hasAttribute("data-queued")) {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    var found = problems(form);
    if (found.length) {
      event.preventDefault();
      event.stopPropagation();
      showProblems(form, found);
      return;
    }
    clearErrors(form);
    ensureKey(form);
    saveDraft(form); // the draft keeps the key the outbox is about to use
    var key = keyInput(form) ? keyInput(form).value : "";
    // After the outbox has taken it: keep the form locked while it waits.
    window.setTimeout(function () { watch(form, key); }, 300);
  }, true);

  document.addEventListener("click", function (event) {
    var discard = event.target.closest("[data-discard-draft]");
    if (discard) {
      var form = document.querySelector(FORM);
      if (form && !form.hasAttribute("data-queued")) {
        removeDraft(form.getAttribute("data-draft-key"));
        form.reset();  // back to what the server sent
        var key = keyInput(form);
        if (key) key.value = "";
        ensureKey(form);
        clearErrors(form);
        form.querySelectorAll("[data-item]").forEach(toggleRemark);
        updateProgress(form);
      }
      var notice = discard.closest("[data-draft-notice]");
      if (notice) notice.hidden = true;
      return;
    }
    if (event.target.closest("[data-print]")) window.print();
  });

  common.onReady(function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
