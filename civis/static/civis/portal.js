/* The portal's few behaviours (a static file: the portal's CSP forbids inline scripts).
   Everything works without it; it only moves focus and folds the search filters on phones. */
(function () {
  "use strict";

  function focusErrorSummary() {
    // RGAA 11.10: after a refused form, focus the list of errors (it names each field).
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary) {
      summary.focus();
    }
  }

  function foldFiltersOnPhones() {
    var toggle = document.querySelector("[data-filter-toggle]");
    var facets = document.querySelector("[data-facets]");
    if (!toggle || !facets) {
      return;
    }
    var phone = window.matchMedia("(max-width: 40rem)");
    var active = toggle.querySelector(".filter-toggle-active");
    if (active && !active.querySelector(".active-filter")) {
      active.textContent = active.getAttribute("data-none") || "";
    }
    function setOpen(open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      facets.classList.toggle("is-collapsed", !open);
    }
    toggle.hidden = false;
    setOpen(!phone.matches);
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      setOpen(open);
      if (open) {
        var heading = facets.querySelector(".facets-heading");
        if (heading) {
          heading.focus();
        }
      }
    });
    phone.addEventListener("change", function () {
      setOpen(!phone.matches);
    });
  }

  function start() {
    focusErrorSummary();
    foldFiltersOnPhones();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
