// "Où voter ?": the commune field suggests the communes the portal has data for, the address
// field the chosen commune's streets (after the number typed). Native <datalist>: keyboard and
// screen readers work as with any input; without script the form works the same.
(function () {
  "use strict";
  var form = document.querySelector("form.polling-form");
  if (!form) return;
  var commune = form.querySelector("#id_commune");
  var address = form.querySelector("#id_adresse");
  var communes = document.getElementById("communes-connues");
  var streets = document.getElementById("voies-connues");
  var timer = null;

  function insee() {
    var value = commune.value.trim();
    if (/^\d{5}$/.test(value)) return value;
    for (var i = 0; i < communes.options.length; i++) {
      if (communes.options[i].value === value) return communes.options[i].getAttribute("data-insee");
    }
    return "";
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
    var code = insee();
    if (!code) { fill(streets, []); return; }
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
