// "Où voter ?": the address field suggests the chosen commune's known streets (after the
// number typed), in a native <datalist>: keyboard and screen readers work as with any input.
// The commune field is the portal's ARIA combobox (civis/static/civis/commune-finder.js, in
// its data-fill mode). Without script the form works the same.
(function () {
  "use strict";
  var form = document.querySelector("form.polling-form");
  if (!form) return;
  var commune = form.querySelector("#id_commune");
  var address = form.querySelector("#id_adresse");
  var streets = document.getElementById("voies-connues");
  var timer = null;

  // « Mérignac (33700) » as the combobox writes it, a postcode, or an INSEE code: the API
  // wants the INSEE code, which the combobox's choice does not show; ask the communes API.
  var known = {};
  function insee(then) {
    var value = commune.value.trim();
    if (/^\d{5}$/.test(value) && known[value] === undefined) { then(value); return; }
    if (known[value] !== undefined) { then(known[value]); return; }
    var name = value.replace(/\s*\(\d{5}\)\s*$/, "");
    fetch(form.getAttribute("data-communes-url") + "?q=" + encodeURIComponent(name), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (list) {
        var found = list.filter(function (c) {
          return c.name + (c.postal_code ? " (" + c.postal_code + ")" : "") === value || c.name === value;
        });
        known[value] = found.length === 1 ? found[0].insee_code : "";
        then(known[value]);
      })
      .catch(function () { then(""); });
  }

  function fill(list, values) {
    while (list.firstChild) list.removeChild(list.firstChild);
    values.forEach(function (value) {
      var option = document.createElement("option");
      option.value = value;
      list.appendChild(option);
    });
  }

  function suggestStreets() {
    insee(function (code) { if (code) { streetsOf(code); } else { fill(streets, []); } });
  }

  function streetsOf(code) {
    var match = /^\s*(\d+\s*(?:bis|ter)?\s+)?(.*)$/i.exec(address.value);
    var number = match && match[1] ? match[1] : "";
    var text = match ? match[2] : address.value;
    if (text.trim().length < 2) return;
    var url = form.getAttribute("data-streets-url") + "?commune=" + encodeURIComponent(code) + "&q=" + encodeURIComponent(text);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { fill(streets, data.results.map(function (label) { return number + label; })); })
      .catch(function () { /* no suggestions: the form still works */ });
  }

  address.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(suggestStreets, 200);
  });
  commune.addEventListener("change", function () { fill(streets, []); });
})();
