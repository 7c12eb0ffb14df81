// Bofast page script: progressive enhancements only; every page works without it.
(function () {
  "use strict";

  // Show/hide toggle for password fields (activation page).
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-toggle-password]");
    if (!toggle) return;
    var fields = toggle.form.querySelectorAll(".password input");
    var show = fields.length && fields[0].type === "password";
    fields.forEach(function (f) { f.type = show ? "text" : "password"; });
    // The labels come from the page so they follow the chosen language.
    toggle.textContent = show ? toggle.dataset.hideLabel : toggle.dataset.showLabel;
    toggle.setAttribute("aria-pressed", show ? "true" : "false");
  });

  function enhance(root) {
    root.querySelectorAll("[data-toggle-password][hidden]").forEach(function (b) { b.hidden = false; });
  }
  // Loaded after DOMContentLoaded where the page's scripts come after its first paint (loader.js).
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  } else {
    enhance(document);
  }
  document.addEventListener("htmx:load", function (e) { enhance(e.target); });
})();
