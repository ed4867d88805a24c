/* <civis-resultats src="https://…/api/v1/elections/<slug>/tours/<n>/resultats" vue="resume"
                    refresh="30"></civis-resultats>

   A Web Component showing an election round's results on any site, from the portal's public
   results JSON (CORS open). It refreshes itself every `refresh` seconds (10 at least, 30 by
   default) with If-None-Match (a 304 when nothing was published), pauses while the tab is
   hidden, and shows « mis à jour il y a … ». vue="resume" (bars with numbers and
   percentages) or vue="participation". Built with DOM calls only (no inline script, no inline
   style attribute, no HTML from the network). */
(function () {
  "use strict";
  if (!window.customElements || window.customElements.get("civis-resultats")) {
    return;
  }
  var MIN_REFRESH = 10;
  var CSS = [
    ":host { display: block; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1b1b1f; line-height: 1.45; }",
    ".box { border: 1px solid #c9ced6; border-radius: 6px; padding: 0.75rem; background: #fff; }",
    "h2 { font-size: 1.05rem; margin: 0 0 0.35rem; }",
    ".status { display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; margin: 0 0 0.5rem; }",
    ".badge { border: 2px solid #0b3d66; border-radius: 999px; padding: 0 0.6rem; font-weight: 700; }",
    ".badge.final { background: #0b3d66; color: #fff; }",
    ".badge.provisional { border-style: dashed; }",
    "ol { list-style: none; padding: 0; margin: 0; }",
    "li { margin: 0 0 0.6rem; }",
    ".head { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 0 0.75rem; }",
    ".name { font-weight: 600; }",
    ".share { font-weight: 700; font-variant-numeric: tabular-nums; }",
    ".track { height: 0.8rem; background: #f3f5f8; border: 1px solid #c9ced6; border-radius: 3px; overflow: hidden; }",
    ".fill { height: 100%; }",
    ".figures { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; margin: 0 0 0.5rem; padding: 0; list-style: none; }",
    ".figures li { margin: 0; }",
    ".big { font-size: 1.3rem; font-weight: 700; }",
    ".foot { font-size: 0.85rem; color: #4a4a55; display: flex; flex-wrap: wrap; justify-content: space-between; gap: 0 1rem; }",
    ".error { color: #8a1c1c; }",
    "a { color: #0a4f8c; }",
  ].join("\n");
  var sheet = null;
  try {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  } catch (error) {
    sheet = null;
  }

  function percent(value) {
    if (value === null || value === undefined) {
      return "—";
    }
    return (
      Number(value).toLocaleString("fr-FR", {
        minimumFractionDigits: 2,
        maximumFractionDigits: 2,
      }) + "\u00a0%"
    );
  }

  function integer(value) {
    return value === null || value === undefined ? "—" : String(value);
  }

  function describe(secondsAgo) {
    if (secondsAgo < 60) {
      return secondsAgo <= 1 ? "à l'instant" : "il y a " + secondsAgo + " s";
    }
    var minutes = Math.floor(secondsAgo / 60);
    if (minutes < 60) {
      return "il y a " + minutes + " min";
    }
    var hours = Math.floor(minutes / 60);
    return hours < 48 ? "il y a " + hours + " h" : "il y a " + Math.floor(hours / 24) + " jours";
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  class CivisResultats extends HTMLElement {
    constructor() {
      super();
      this.root = this.attachShadow({ mode: "open" });
      if (sheet && "adoptedStyleSheets" in this.root) {
        this.root.adoptedStyleSheets = [sheet];
      }
      this.etag = null;
      this.data = null;
      this.timer = null;
      this.agoTimer = null;
      this.busy = false;
      this.onVisibility = this.onVisibility.bind(this);
    }

    static get observedAttributes() {
      return ["src", "vue", "refresh"];
    }

    get seconds() {
      var value = parseInt(this.getAttribute("refresh") || "30", 10);
      return value >= MIN_REFRESH ? value : value > 0 ? MIN_REFRESH : 30;
    }

    connectedCallback() {
      document.addEventListener("visibilitychange", this.onVisibility);
      var self = this;
      this.agoTimer = window.setInterval(function () {
        self.showAgo();
      }, 5000);
      this.fetchResults();
      this.schedule();
    }

    disconnectedCallback() {
      document.removeEventListener("visibilitychange", this.onVisibility);
      window.clearInterval(this.timer);
      window.clearInterval(this.agoTimer);
      this.timer = null;
    }

    attributeChangedCallback(name, previous, value) {
      if (previous === value || !this.isConnected) {
        return;
      }
      if (name === "src") {
        this.etag = null;
        this.fetchResults();
      } else if (name === "refresh") {
        this.schedule();
      } else if (this.data) {
        this.render();
      }
    }

    onVisibility() {
      this.schedule();
      if (document.visibilityState !== "hidden") {
        this.fetchResults();
      }
    }

    schedule() {
      if (this.timer !== null) {
        window.clearInterval(this.timer);
        this.timer = null;
      }
      if (document.visibilityState === "hidden") {
        return;
      }
      var self = this;
      this.timer = window.setInterval(function () {
        self.fetchResults();
      }, this.seconds * 1000);
    }

    fetchResults() {
      var src = this.getAttribute("src");
      if (!src || this.busy || document.visibilityState === "hidden") {
        return;
      }
      this.busy = true;
      var headers = { Accept: "application/json" };
      if (this.etag) {
        headers["If-None-Match"] = this.etag;
      }
      var self = this;
      fetch(src, { headers: headers, mode: "cors", credentials: "omit", cache: "no-store" })
        .then(function (response) {
          if (response.status === 304) {
            return null;
          }
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          self.etag = response.headers.get("ETag");
          return response.json().then(function (data) {
            self.data = data;
            self.render();
          });
        })
        .catch(function () {
          if (!self.data) {
            self.root.replaceChildren(
              element("p", "error", "Les résultats ne peuvent pas être chargés pour le moment.")
            );
          }
        })
        .then(function () {
          self.busy = false;
        });
    }

    showAgo() {
      var node = this.root.querySelector("[data-ago]");
      if (!node || !this.data || !this.data.updated_at) {
        return;
      }
      var when = new Date(this.data.updated_at);
      var secondsAgo = Math.max(0, Math.round((Date.now() - when.getTime()) / 1000));
      node.textContent = "mis à jour " + describe(secondsAgo);
    }

    render() {
      var data = this.data;
      var total = data.total || {};
      var box = element("section", "box");
      var title = data.election.title + " — " + (data.round.number === 1 ? "1er tour" : data.round.number + "e tour");
      box.setAttribute("aria-label", title);
      box.appendChild(element("h2", null, title));
      var status = element("p", "status");
      status.appendChild(element("span", "badge " + (data.provisional ? "provisional" : "final"), data.provisional ? "Résultats provisoires" : "Résultats définitifs"));
      status.appendChild(element("span", "progress", data.progress.label));
      box.appendChild(status);
      if (this.getAttribute("vue") === "participation") {
        var figures = element("ul", "figures");
        [
          [percent(total.participation), "de participation"],
          [integer(total.inscrits), "inscrits"],
          [integer(total.votants), "votants"],
          [integer(total.abstentions), "abstentions"],
          [integer(total.exprimes), "exprimés"],
        ].forEach(function (pair) {
          var item = element("li");
          item.appendChild(element("span", "big", pair[0]));
          item.appendChild(document.createTextNode(" " + pair[1]));
          figures.appendChild(item);
        });
        box.appendChild(figures);
      } else if (!total.bureaux_counted) {
        box.appendChild(element("p", null, "Aucun bureau n'est encore dépouillé."));
      } else {
        box.appendChild(element("p", null, "Participation : " + percent(total.participation)));
        var list = element("ol");
        list.setAttribute("aria-label", "Voix par liste ou candidat");
        var rows = (total.results || []).slice().sort(function (a, b) {
          return b.votes - a.votes || a.panel - b.panel;
        });
        rows.forEach(function (row) {
          var item = element("li");
          item.setAttribute("data-panel", String(row.panel));
          var head = element("div", "head");
          head.appendChild(element("span", "name", row.name + (row.panel === total.leader ? " (en tête)" : "")));
          head.appendChild(element("span", "share", percent(row.share) + " · " + row.votes + " voix"));
          item.appendChild(head);
          var track = element("div", "track");
          track.setAttribute("aria-hidden", "true");
          var fill = element("div", "fill");
          fill.style.width = Math.max(0, Math.min(100, Number(row.share) || 0)) + "%";
          fill.style.background = /^#[0-9a-fA-F]{3,8}$/.test(row.colour) ? row.colour : "#6a6a6a";
          track.appendChild(fill);
          item.appendChild(track);
          list.appendChild(item);
        });
        box.appendChild(list);
      }
      var foot = element("p", "foot");
      var ago = element("span", null, "");
      ago.setAttribute("data-ago", "");
      foot.appendChild(ago);
      box.appendChild(foot);
      this.root.replaceChildren(box);
      this.showAgo();
    }
  }

  window.customElements.define("civis-resultats", CivisResultats);
})();
