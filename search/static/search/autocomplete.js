/* Search autocomplete: an ARIA combobox with a list of suggestions (WAI-ARIA Authoring
   Practices, "combobox with list autocomplete"), fed by GET /api/v1/search/suggest/?q=…
   (search.api.suggest: words of documents the visitor may read, and authorities), modelled
   on civis/static/civis/commune-finder.js.

   Expected markup (ids are free; the three data- attributes name them):

     <div class="search-row combobox">
       <input type="search" id="q" name="q" autocomplete="off" spellcheck="false"
         aria-describedby="q-aide"
         data-search-autocomplete data-source="{% url 'api:search_suggest' %}"
         data-listbox="q-suggestions" data-status="q-statut">
       <ul id="q-suggestions" role="listbox" aria-label="Suggestions" class="combobox-list" hidden></ul>
       <button type="submit">Rechercher</button>
     </div>
     <p id="q-statut" class="visually-hidden" role="status" aria-live="polite"></p>
     <script src="{% static 'search/autocomplete.js' %}" defer></script>

   Keys: Down/Up move in the suggestions (Alt+Down opens them), Enter takes the highlighted
   one (else submits the form as usual), Escape closes the list (a second Escape clears the
   box), Tab closes it and moves on. Choosing a word replaces the last word typed (and keeps
   the focus in the box, the list reopening for the next word); choosing an authority opens
   its page (or, if it has none, writes its name like a word). Without JavaScript the box is
   a plain search field. */
(function () {
  "use strict";

  var MIN_LENGTH = 2;
  var LAST_WORD = /[^\s"«»“”()]+$/;

  function setup(input) {
    var listbox = document.getElementById(input.getAttribute("data-listbox"));
    var status = document.getElementById(input.getAttribute("data-status"));
    var source = input.getAttribute("data-source");
    if (!listbox || !source) {
      return;
    }
    var options = [];
    var active = -1;
    var timer = null;
    var asked = "";
    var lang = document.documentElement.lang || "fr";
    var words = lang === "en"
      ? { none: "No suggestion.", one: "1 suggestion.", many: " suggestions. Use the up and down arrows to choose." }
      : { none: "Aucune suggestion.", one: "1 suggestion.", many: " suggestions. Flèches haut et bas pour choisir." };

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

    function announce(text) {
      if (status) {
        status.textContent = text;
      }
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

    function render(items) {
      listbox.textContent = "";
      options = items.map(function (item, i) {
        var li = document.createElement("li");
        li.id = listbox.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var label = document.createElement("span");
        label.textContent = item.label;
        if (lang !== "fr") {
          label.lang = "fr";
        }
        li.appendChild(label);
        if (item.kind === "authority" && item.detail) {
          var meta = document.createElement("span");
          meta.className = "meta";
          meta.textContent = " (" + item.detail + ")";
          li.appendChild(meta);
        }
        li.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the box
        });
        li.addEventListener("click", function () {
          choose(i);
        });
        listbox.appendChild(li);
        return { el: li, item: item };
      });
      active = -1;
      if (options.length) {
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
      announce(!options.length ? words.none : options.length === 1 ? words.one : options.length + words.many);
    }

    function choose(index) {
      var item = options[index].item;
      if (item.kind === "authority" && item.url) {
        window.location.assign(item.url);
        return;
      }
      // Replace the last word typed (whatever follows the last space or quote).
      var value = input.value;
      var match = LAST_WORD.exec(value);
      var head = match ? value.slice(0, match.index) : value;
      input.value = head + item.value + " ";
      close();
      options = [];
      announce("");
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
    }

    function ask() {
      var q = input.value;
      if (q.trim().length < MIN_LENGTH || /\s$/.test(q)) {
        render([]);
        announce("");
        return;
      }
      asked = q;
      fetch(source + "?q=" + encodeURIComponent(q.slice(0, 200)), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : { autocomplete: [] };
        })
        .then(function (body) {
          if (asked === q && input.value === q && document.activeElement === input) {
            render(body.autocomplete || []);
          }
        })
        .catch(function () {
          close();
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 200);
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
          options = [];
          announce("");
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
    Array.prototype.forEach.call(document.querySelectorAll("[data-search-autocomplete]"), setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
