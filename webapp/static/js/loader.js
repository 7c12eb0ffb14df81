// Bofast script loader: fetches the page's scripts (data-scripts, in order) once the page has
// been painted and has loaded, so none of them is on the way to the first paint. A deferred
// script that arrives before the first paint runs before it (DOMContentLoaded comes first), and
// on a slow phone its download and start-up then hold up what the person sees and the first tap.
// Everything it loads is an enhancement: the page works without it, and the scripts run in the
// listed order, like deferred scripts, each in a task of its own. They start after the load
// event because htmx starts at once only then: added between DOMContentLoaded and load, it
// would wait for a DOMContentLoaded that has already passed. When the last one has run, <html>
// gets data-scripts-ready (what browser tests wait for).
(function () {
  "use strict";

  var me = document.currentScript;
  var urls = ((me && me.getAttribute("data-scripts")) || "").split(/\s+/).filter(Boolean);
  // A page that is never painted (opened in a background tab) or a browser that reports no
  // paint still gets its scripts, this much later.
  var FALLBACK_MS = 3000;
  var started = false;
  var painted = false;

  function ready() { document.documentElement.setAttribute("data-scripts-ready", ""); }

  function start() {
    if (started) return;
    started = true;
    if (!urls.length) { ready(); return; }
    var left = urls.length;
    var next = 0;
    function done() { if (--left === 0) ready(); }
    // One script element per task: starting a request costs the page's thread a few ms, and
    // six of them in one task were a long task on a slow phone. async = false keeps them
    // running in the order they were added, whenever each arrives.
    function add() {
      var script = document.createElement("script");
      script.src = urls[next++];
      script.async = false;
      script.onload = script.onerror = done;
      document.head.appendChild(script);
      if (next < urls.length) window.setTimeout(add, 0);
    }
    add();
  }

  function loaded(then) {
    if (document.readyState === "complete") then();
    else window.addEventListener("load", then, { once: true });
  }

  // After the paint (not in the frame that paints it) and after the load event.
  function soon() { loaded(function () { window.setTimeout(start, 0); }); }

  function afterPaint() {
    if (painted) return;
    painted = true;
    soon();
  }

  if (document.visibilityState === "hidden") {
    afterPaint();
  } else {
    var types = (window.PerformanceObserver && PerformanceObserver.supportedEntryTypes) || [];
    if (types.indexOf("paint") >= 0) {
      var observer = new PerformanceObserver(function (list) {
        if (!list.getEntriesByName("first-contentful-paint").length) return;
        observer.disconnect();
        afterPaint();
      });
      observer.observe({ type: "paint", buffered: true });
    } else if (typeof window.requestAnimationFrame === "function") {
      window.requestAnimationFrame(afterPaint);
    }
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") afterPaint();
    });
  }
  window.setTimeout(function () { loaded(start); }, FALLBACK_MS);
})();
