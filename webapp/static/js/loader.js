// Bofast script loader: fetches the page's scripts (data-scripts, in order) once the page has
// been painted, so none of them is on the way to the first paint. A deferred script that
// arrives before the first paint runs before it (DOMContentLoaded comes first), and on a slow
// phone its download and start-up then hold up what the person sees and the first tap.
// Everything it loads is an enhancement: the page works without it, and the scripts run in the
// listed order, like deferred scripts, each in a task of its own. Used where every script copes
// with starting after DOMContentLoaded (htmx does not: it waits for that event).
(function () {
  "use strict";

  var me = document.currentScript;
  var urls = ((me && me.getAttribute("data-scripts")) || "").split(/\s+/).filter(Boolean);
  // A page that is never painted (opened in a background tab) or a browser that reports no
  // paint still gets its scripts, this much later.
  var FALLBACK_MS = 3000;
  var started = false;

  function start() {
    if (started) return;
    started = true;
    urls.forEach(function (src) {
      var script = document.createElement("script");
      script.src = src;
      script.async = false; // in the listed order
      document.head.appendChild(script);
    });
  }

  // After the paint, not in the frame that paints it.
  function soon() { window.setTimeout(start, 0); }

  if (document.visibilityState === "hidden") {
    soon();
    return;
  }
  var types = (window.PerformanceObserver && PerformanceObserver.supportedEntryTypes) || [];
  if (types.indexOf("paint") >= 0) {
    var observer = new PerformanceObserver(function (list) {
      if (!list.getEntriesByName("first-contentful-paint").length) return;
      observer.disconnect();
      soon();
    });
    observer.observe({ type: "paint", buffered: true });
  } else if (typeof window.requestAnimationFrame === "function") {
    window.requestAnimationFrame(soon);
  }
  window.setTimeout(start, FALLBACK_MS);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") soon();
  });
})();
