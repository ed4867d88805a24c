/* Procedure forms (procedures/includes/form_fields.html). No framework, and nothing here is
   needed: without it every field is shown (with its condition written out), a repeat block
   offers one empty item more at each save, and the draft is saved with the page's button.
   With it: conditional fields show and hide, repeat items are added and removed in place, the
   draft is saved every 20 s when it changed and when the page is hidden or left, and a file
   over the size limit is refused before it is sent. */
(function () {
  "use strict";
  if (window.civisProcedureForm) {
    return; // the include may appear with the page also loading the script
  }
  window.civisProcedureForm = true;

  var AUTOSAVE_MS = 20000;

  function each(list, fn) {
    Array.prototype.forEach.call(list, fn);
  }

  function byName(root, name) {
    return root.querySelectorAll('[name="' + name.replace(/["\\]/g, "") + '"]');
  }

  // The answers a condition compares with: "oui"/"non" for a single checkbox, the checked
  // values of radios and checkboxes, the value of anything else.
  function answers(root, name) {
    var inputs = byName(root, name);
    var values = [];
    if (inputs.length === 1 && inputs[0].type === "checkbox") {
      return [inputs[0].checked ? "oui" : "non"];
    }
    each(inputs, function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) {
          values.push(input.value);
        }
      } else {
        values.push((input.value || "").trim());
      }
    });
    return values;
  }

  function applyConditions(form) {
    // Conditions point to earlier fields: one pass in document order settles chains.
    each(form.querySelectorAll("[data-condition-name]"), function (wrapper) {
      var name = wrapper.getAttribute("data-condition-name");
      var expected = wrapper.getAttribute("data-condition-value");
      var controls = byName(form, name);
      var shown = false;
      if (controls.length) {
        var holder = controls[0].closest(".procedure-field");
        shown = !(holder && holder.hidden) && answers(form, name).indexOf(expected) !== -1;
      }
      wrapper.hidden = !shown;
    });
  }

  function setupConditions(form) {
    each(form.querySelectorAll("[data-condition-hint]"), function (hint) {
      hint.hidden = true;
    });
    applyConditions(form);
    form.addEventListener("change", function () {
      applyConditions(form);
    });
    form.addEventListener("input", function () {
      applyConditions(form);
    });
  }

  function setupRepeat(form, repeat, changed) {
    var list = repeat.querySelector("[data-repeat-list]");
    var template = repeat.querySelector("[data-repeat-template]");
    var add = repeat.querySelector("[data-repeat-add]");
    var label = repeat.getAttribute("data-repeat-label") || "";
    var max = parseInt(repeat.getAttribute("data-repeat-max"), 10) || 10;
    if (!list || !template || !add) {
      return;
    }

    function items() {
      return Array.prototype.filter.call(list.children, function (el) {
        return el.hasAttribute("data-repeat-item");
      });
    }

    function renumber() {
      var all = items();
      all.forEach(function (item, i) {
        var text = label + " n° " + (i + 1);
        var legend = item.querySelector("[data-repeat-legend]");
        var removeLabel = item.querySelector("[data-repeat-remove-label]");
        if (legend) {
          legend.textContent = text;
        }
        if (removeLabel) {
          removeLabel.textContent = " — " + text;
        }
      });
      add.disabled = all.length >= max;
    }

    function wire(item) {
      var remove = item.querySelector("[data-repeat-remove]");
      if (!remove) {
        return;
      }
      remove.hidden = false;
      remove.addEventListener("click", function () {
        item.parentNode.removeChild(item);
        renumber();
        applyConditions(form);
        changed();
        add.focus();
      });
    }

    each(repeat.querySelectorAll("[data-repeat-nojs]"), function (hint) {
      hint.hidden = true;
    });
    items().forEach(wire);
    add.hidden = false;
    add.addEventListener("click", function () {
      if (items().length >= max) {
        return;
      }
      var index = parseInt(repeat.getAttribute("data-repeat-next"), 10) || items().length;
      repeat.setAttribute("data-repeat-next", String(index + 1));
      var html = template.innerHTML
        .replace(/__i__/g, String(index))
        .replace(/__n__/g, String(items().length + 1));
      list.insertAdjacentHTML("beforeend", html);
      var all = items();
      var item = all[all.length - 1];
      each(item.querySelectorAll("[data-condition-hint]"), function (hint) {
        hint.hidden = true;
      });
      wire(item);
      renumber();
      applyConditions(form);
      changed();
      var first = item.querySelector("input, select, textarea");
      if (first) {
        first.focus();
      }
    });
    renumber();
  }

  function setupFileLimits(form) {
    form.addEventListener("change", function (event) {
      var input = event.target;
      if (!input || input.type !== "file" || !input.hasAttribute("data-max-bytes")) {
        return;
      }
      var max = parseInt(input.getAttribute("data-max-bytes"), 10);
      var error = input.parentNode.querySelector("[data-file-error]");
      var file = input.files && input.files[0];
      if (file && max && file.size > max) {
        input.value = "";
        input.setAttribute("aria-invalid", "true");
        if (error) {
          error.textContent = input.getAttribute("data-too-large") || "";
          error.hidden = false;
          if (!error.id) {
            error.id = input.id + "-trop-lourd";
          }
          var described = (input.getAttribute("aria-describedby") || "").split(" ");
          if (described.indexOf(error.id) === -1) {
            described.push(error.id);
            input.setAttribute("aria-describedby", described.join(" ").trim());
          }
        }
      } else if (error) {
        error.hidden = true;
        error.textContent = "";
        input.removeAttribute("aria-invalid");
      }
    });
  }

  function setupAutosave(form, messages) {
    var url = form.getAttribute("data-autosave-url");
    var dirty = false;
    var saving = false;
    var leaving = false;
    var status = document.getElementById("autosave-status");
    if (!status) {
      status = document.createElement("p");
      status.id = "autosave-status";
      status.className = "hint autosave-status";
      status.setAttribute("aria-live", "polite");
      var fields = form.querySelector("[data-procedure-fields]");
      (fields ? fields.parentNode : form).insertBefore(
        status,
        fields ? fields.nextSibling : null
      );
    }

    function say(key) {
      var now = new Date();
      var time = now.getHours() + " h " + String(now.getMinutes()).padStart(2, "0");
      status.textContent = (messages.getAttribute(key) || "").replace("{time}", time);
    }

    function payload() {
      var data = new FormData(form);
      each(form.querySelectorAll('input[type="file"]'), function (input) {
        data.delete(input.name); // files go with the page's buttons, not in the background
      });
      return data;
    }

    function save() {
      if (!dirty || saving) {
        return;
      }
      saving = true;
      dirty = false;
      fetch(url, {
        method: "POST",
        body: payload(),
        credentials: "same-origin",
        headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          say("data-saved");
        })
        .catch(function () {
          dirty = true;
          say("data-failed");
        })
        .then(function () {
          saving = false;
        });
    }

    function beacon() {
      if (!dirty || leaving || !navigator.sendBeacon) {
        return;
      }
      if (navigator.sendBeacon(url, payload())) {
        dirty = false;
      }
    }

    function changed() {
      dirty = true;
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", function (event) {
      if (event.target && event.target.type !== "file") {
        changed();
      }
    });
    form.addEventListener("submit", function () {
      leaving = true; // the page's own save or submission carries the answers
    });
    window.setInterval(save, AUTOSAVE_MS);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") {
        beacon();
      }
    });
    window.addEventListener("pagehide", beacon);
    return changed;
  }

  function start() {
    each(document.querySelectorAll("[data-procedure-fields]"), function (fields) {
      var form = fields.closest("form");
      if (!form || form.hasAttribute("data-procedure-form-ready")) {
        return;
      }
      form.setAttribute("data-procedure-form-ready", "");
      var messages = form.querySelector("[data-autosave-messages]") || fields;
      var changed = function () {};
      if (form.hasAttribute("data-autosave-url")) {
        changed = setupAutosave(form, messages);
      }
      setupConditions(form);
      each(form.querySelectorAll("[data-repeat]"), function (repeat) {
        setupRepeat(form, repeat, changed);
      });
      setupFileLimits(form);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
