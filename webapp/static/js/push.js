// Bofast push notifications: opt in per device from the settings page (never on page load).
// The page works without this file; it only reveals the on/off buttons where push works.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) { return ""; }
  }

  function keyToBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4))
      .replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded.trim());
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function registration() {
    return navigator.serviceWorker.getRegistration("/").then(function (reg) {
      return reg || navigator.serviceWorker.register("/sw.js", { scope: "/" });
    }).then(function () { return navigator.serviceWorker.ready; });
  }

  function send(url, method, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function setup(section) {
    if (section.dataset.pushReady) return;
    section.dataset.pushReady = "1";
    var state = section.querySelector("[data-push-state]");
    var enable = section.querySelector("[data-push-enable]");
    var disable = section.querySelector("[data-push-disable]");
    var ios = section.querySelector("[data-push-ios]");
    if (!state || !enable || !disable) return;
    // Messages come from data-msg-* on the section, rendered through _() in the page's language.
    var msg = section.dataset;

    function show(text, on) {
      state.textContent = text;
      enable.hidden = on !== false;
      disable.hidden = on !== true;
    }

    if (!supported()) {
      state.textContent = msg.msgUnsupported;
      if (ios && /iPhone|iPad/.test(navigator.userAgent)) ios.hidden = false;
      return;
    }
    if (Notification.permission === "denied") {
      state.textContent = msg.msgBlocked;
      return;
    }

    registration().then(function (reg) { return reg.pushManager.getSubscription(); })
      .then(function (sub) {
        if (sub) show(msg.msgOn, true);
        else show(msg.msgOff, false);
      }).catch(function () { show(msg.msgOff, false); });

    enable.addEventListener("click", function () {
      enable.disabled = true;
      state.textContent = msg.msgEnabling;
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") throw new Error("permission");
        return Promise.all([
          registration(),
          fetch(section.dataset.keyUrl, { credentials: "same-origin" }).then(function (r) {
            if (!r.ok) throw new Error("key");
            return r.text();
          })
        ]);
      }).then(function (parts) {
        return parts[0].pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyToBytes(parts[1])
        });
      }).then(function (sub) {
        return send(section.dataset.subscriptionsUrl, "POST", sub.toJSON());
      }).then(function () {
        window.location.reload();  // the device list on the page now includes this phone
      }).catch(function (error) {
        enable.disabled = false;
        show(error && error.message === "permission"
          ? msg.msgDenied
          : msg.msgEnableFailed, false);
      });
    });

    disable.addEventListener("click", function () {
      disable.disabled = true;
      registration().then(function (reg) { return reg.pushManager.getSubscription(); })
        .then(function (sub) {
          if (!sub) return null;
          var endpoint = sub.endpoint;
          return sub.unsubscribe().then(function () {
            return send(section.dataset.subscriptionsUrl, "DELETE", { endpoint: endpoint });
          });
        }).then(function () {
          window.location.reload();
        }).catch(function () {
          disable.disabled = false;
          state.textContent = msg.msgDisableFailed;
        });
    });
  }

  function init(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-push]").forEach(setup);
  }
  // Loaded after DOMContentLoaded where the page's scripts come after its first paint (loader.js).
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
