/* Election widgets (elections/templates/elections/widget.html), inside an <iframe> of another
   site. Every data-refresh seconds (10 at least) the widget asks the results JSON whether
   anything was published (If-None-Match: a 304 costs the server almost nothing); when it was,
   it fetches its own refreshed part (?fragment=1) and swaps it in. Paused while the tab is
   hidden. Shows « mis à jour il y a … » and posts its height to the host page
   (window.parent.postMessage({civisHeight: h}, "*"), read by elections/embed.js). A static
   file: the portal's CSP forbids inline scripts. */
(function () {
  "use strict";

  var MIN_REFRESH = 10;

  function start() {
    var root = document.getElementById("widget");
    if (!root) {
      return;
    }
    var resultsUrl = root.getAttribute("data-results-url");
    var fragmentUrl = root.getAttribute("data-fragment-url");
    var seconds = parseInt(root.getAttribute("data-refresh") || "30", 10);
    if (!(seconds >= MIN_REFRESH)) {
      seconds = MIN_REFRESH;
    }
    var body = root.querySelector("[data-widget-body]");
    var announce = root.querySelector("[data-widget-announce]");
    var ago = document.querySelector("[data-updated-ago]");
    var etag = null;
    var timer = null;
    var busy = false;

    function updatedAt() {
      var content = body && body.querySelector("[data-updated-at]");
      var text = content ? content.getAttribute("data-updated-at") : "";
      var when = text ? new Date(text) : null;
      return when && !isNaN(when.getTime()) ? when : null;
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
      if (hours < 48) {
        return "il y a " + hours + " h";
      }
      return "il y a " + Math.floor(hours / 24) + " jours";
    }

    function showAgo() {
      var when = updatedAt();
      if (!ago || !when) {
        return;
      }
      var secondsAgo = Math.max(0, Math.round((Date.now() - when.getTime()) / 1000));
      ago.textContent = "mis à jour " + describe(secondsAgo);
      ago.hidden = false;
    }

    function postHeight() {
      if (window.parent === window) {
        return;
      }
      var height = Math.ceil(document.documentElement.scrollHeight);
      window.parent.postMessage({ civisHeight: height }, "*");
    }

    function swap() {
      return fetch(fragmentUrl, { credentials: "omit", cache: "no-cache" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          var template = document.createElement("template");
          template.innerHTML = html;
          body.replaceChildren(template.content);
          if (announce) {
            announce.textContent = "Résultats actualisés.";
          }
          showAgo();
          postHeight();
        });
    }

    function check() {
      if (busy || document.visibilityState === "hidden") {
        return;
      }
      busy = true;
      var headers = { Accept: "application/json" };
      if (etag) {
        headers["If-None-Match"] = etag;
      }
      fetch(resultsUrl, { headers: headers, credentials: "omit", cache: "no-store" })
        .then(function (response) {
          if (response.status === 304) {
            return null;
          }
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          var first = etag === null;
          etag = response.headers.get("ETag");
          return response.json().then(function (data) {
            var shown = updatedAt();
            var fresh = data.updated_at ? new Date(data.updated_at) : null;
            var changed = !first || !shown || !fresh || fresh.getTime() !== shown.getTime();
            return changed ? swap() : null;
          });
        })
        .catch(function () {
          /* The next round of the timer tries again. */
        })
        .then(function () {
          busy = false;
        });
    }

    function schedule() {
      if (timer !== null) {
        window.clearInterval(timer);
        timer = null;
      }
      if (document.visibilityState !== "hidden") {
        timer = window.setInterval(check, seconds * 1000);
      }
    }

    document.addEventListener("visibilitychange", function () {
      schedule();
      if (document.visibilityState !== "hidden") {
        check();
      }
    });
    window.setInterval(showAgo, 5000);
    if (window.ResizeObserver) {
      new ResizeObserver(postHeight).observe(document.documentElement);
    }
    window.addEventListener("load", postHeight);
    showAgo();
    postHeight();
    schedule();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
