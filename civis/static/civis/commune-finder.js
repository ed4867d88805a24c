/* "Trouver ma collectivité": an ARIA combobox with a list of suggestions (WAI-ARIA Authoring
   Practices, "combobox with list autocomplete"), fed by GET /api/v1/communes/?q=…
   Keys: Down/Up move in the suggestions (Alt+Down opens them), Enter opens the chosen
   commune's page (or submits the form), Escape closes the list (a second Escape clears the
   box), Home/End stay in the text. Without JavaScript the form submits to a results page.
   With data-fill on the input ("Où voter ?"), choosing a commune writes « Name (postcode) »
   in the box instead of opening its page, and the form goes on. */
(function () {
  "use strict";

  function setup(input) {
    var listbox = document.getElementById(input.getAttribute("data-listbox"));
    var status = document.getElementById(input.getAttribute("data-status"));
    var source = input.getAttribute("data-source");
    var fill = input.hasAttribute("data-fill");
    if (!listbox || !source) {
      return;
    }
    var options = [];
    var active = -1;
    var timer = null;
    var asked = "";
    var lang = document.documentElement.lang || "fr";
    var words = lang === "en"
      ? { none: "No commune matches.", one: "1 commune suggested.", many: " communes suggested. Use the up and down arrows to choose." }
      : { none: "Aucune commune ne correspond.", one: "1 commune suggérée.", many: " communes suggérées. Flèches haut et bas pour choisir." };

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      options.forEach(function (option, i) {
        option.el.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].el.id);
        options[index].el.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function render(communes) {
      listbox.textContent = "";
      options = communes.map(function (commune, i) {
        var li = document.createElement("li");
        li.id = listbox.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.textContent = commune.name;
        if (lang !== "fr") {
          name.lang = "fr";
        }
        var meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = " (" + (commune.postal_code ? commune.postal_code + ", " : "") + "INSEE " + commune.insee_code + ")";
        li.appendChild(name);
        li.appendChild(meta);
        li.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the box
        });
        li.addEventListener("click", function () {
          choose(i);
        });
        listbox.appendChild(li);
        var label = commune.name + (commune.postal_code ? " (" + commune.postal_code + ")" : "");
        return { el: li, url: commune.url, label: label };
      });
      active = -1;
      if (options.length) {
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
      if (status) {
        status.textContent = !options.length ? words.none : options.length === 1 ? words.one : options.length + words.many;
      }
    }

    function choose(index) {
      if (!fill) {
        window.location.assign(options[index].url);
        return;
      }
      input.value = options[index].label;
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function ask() {
      var q = input.value.trim();
      if (!q) {
        render([]);
        if (status) {
          status.textContent = "";
        }
        return;
      }
      asked = q;
      fetch(source + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : [];
        })
        .then(function (communes) {
          if (asked === q && document.activeElement === input) {
            render(communes);
          }
        })
        .catch(function () {
          close();
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 150);
    });

    input.addEventListener("keydown", function (event) {
      var open = !listbox.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) {
          if (options.length) {
            listbox.hidden = false;
            input.setAttribute("aria-expanded", "true");
          } else {
            ask();
          }
          if (!event.altKey && options.length) {
            highlight(0);
          }
          return;
        }
        highlight(active + 1 >= options.length ? 0 : active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open && options.length) {
          highlight(active <= 0 ? options.length - 1 : active - 1);
        }
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          choose(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () {
      window.setTimeout(close, 100);
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-commune-combobox]"), setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
