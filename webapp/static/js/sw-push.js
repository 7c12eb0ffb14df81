// Push handlers for the service worker: sw.js does importScripts('/static/js/sw-push.js').
// The payload is JSON {title, body, url, tag}; the text never holds names or addresses.
/* global self, clients */
(function () {
  "use strict";

  self.addEventListener("push", function (event) {
    var data = {};
    if (event.data) {
      try { data = event.data.json(); } catch (e) { data = { body: event.data.text() }; }
    }
    var options = {
      body: data.body || "",
      data: { url: data.url || "/" },
      icon: "/static/icons/icon-192.png",
      badge: "/static/icons/icon-192.png",
      lang: "sv"
    };
    if (data.tag) {
      options.tag = data.tag;
      options.renotify = true;  // a newer reminder for the same visit still alerts
    }
    event.waitUntil(self.registration.showNotification(data.title || "Bofast", options));
  });

  self.addEventListener("notificationclick", function (event) {
    event.notification.close();
    var wanted = (event.notification.data && event.notification.data.url) || "/";
    var target = new URL(wanted, self.location.origin);
    if (target.origin !== self.location.origin) target = new URL("/", self.location.origin);
    event.waitUntil(clients.matchAll({ type: "window", includeUncontrolled: true })
      .then(function (windows) {
        var i;
        for (i = 0; i < windows.length; i++) {
          if (windows[i].url === target.href && "focus" in windows[i]) return windows[i].focus();
        }
        for (i = 0; i < windows.length; i++) {
          var win = windows[i];
          if (new URL(win.url).origin === self.location.origin && "navigate" in win) {
            return win.focus().then(function (focused) { return focused.navigate(target.href); });
          }
        }
        return clients.openWindow(target.href);
      }));
  });
})();
