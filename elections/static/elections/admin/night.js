// Admin > Élections: the entry form's live sums (a help only: the server checks the count),
// and the focus on the errors summary after a refused entry.
(function () {
  "use strict";

  function number(input) {
    var text = (input && input.value || "").replace(/[\s\u202f]/g, "");
    return /^[0-9]+$/.test(text) ? parseInt(text, 10) : null;
  }

  function line(text) {
    var p = document.createElement("p");
    p.textContent = text;
    return p;
  }

  function say(live, key, values) {
    return (live.dataset[key] || "").replace(/\{(\w+)\}/g, function (_, name) {
      return String(values[name]);
    });
  }

  function setup(form) {
    var live = document.getElementById("controle");
    if (!live) { return; }
    var byKind = function (kind) { return form.querySelector('[data-count="' + kind + '"]'); };
    var votes = Array.prototype.slice.call(form.querySelectorAll('[data-count="voix"]'));

    function update() {
      var votants = number(byKind("votants"));
      var blancs = number(byKind("blancs"));
      var nuls = number(byKind("nuls"));
      var exprimes = number(byKind("exprimes"));
      var inscrits = number(byKind("inscrits"));
      var lines = [];
      if (votants !== null && blancs !== null && nuls !== null && exprimes !== null) {
        var balance = exprimes + blancs + nuls;
        lines.push(say(live, balance === votants ? "balanceOk" : "balanceKo",
          {balance: balance, gap: Math.abs(votants - balance), votants: votants}));
      }
      var values = votes.map(number);
      if (votes.length && values.every(function (v) { return v !== null; })) {
        var total = values.reduce(function (a, b) { return a + b; }, 0);
        if (exprimes !== null) {
          lines.push(say(live, total === exprimes ? "sumOk" : "sumKo",
            {total: total, gap: Math.abs(exprimes - total), exprimes: exprimes}));
        } else {
          lines.push(say(live, "sum", {total: total}));
        }
      }
      if (inscrits !== null && votants !== null && votants > inscrits) {
        lines.push(say(live, "over", {votants: votants, inscrits: inscrits}));
      }
      live.replaceChildren.apply(live, lines.map(line));
      live.hidden = lines.length === 0;
    }

    form.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector(".civis-count__form");
    if (form) { setup(form); }
    var errors = document.getElementById("erreurs");
    if (errors) { errors.focus(); }
  });
})();
