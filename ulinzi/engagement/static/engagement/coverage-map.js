/* Each community's language coverage on a map: red where nobody speaks a language
   spoken there, orange where no woman does. No tile server. */
(function () {
  "use strict";
  var el = document.getElementById("coverage-map");
  var source = document.getElementById("coverage-data");
  if (!el || !source || !window.L) { return; }
  var points = JSON.parse(source.textContent);
  var map = L.map(el, { minZoom: 4, maxZoom: 14 }).setView([-0.5, 29.2], 6);
  fetch("/places/geo/areas.geojson?kind=province", { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (g) { L.geoJSON(g, { style: { color: "#777", weight: 1, fill: false }, interactive: false }).addTo(map); });
  var colours = { none: "#a4262c", no_female: "#d9822b", ok: "#2f7d32" };
  var rank = { none: 2, no_female: 1, ok: 0 };
  var worst = {};
  points.forEach(function (p) {
    var key = p.lat + "," + p.lon;
    if (!worst[key] || rank[p.state] > rank[worst[key].state]) { worst[key] = { p: p, state: p.state, langs: [] }; }
    worst[key].langs.push(p.language + ": " + p.state);
  });
  var group = L.featureGroup().addTo(map);
  Object.keys(worst).forEach(function (key) {
    var w = worst[key];
    var m = L.circleMarker([w.p.lat, w.p.lon], { radius: 8, color: "#222", weight: 1, fillColor: colours[w.state], fillOpacity: 0.9 });
    m.bindTooltip(w.p.name + " — " + w.langs.join(", "));
    group.addLayer(m);
  });
  el.dataset.points = String(Object.keys(worst).length);
  if (Object.keys(worst).length) { map.fitBounds(group.getBounds().pad(0.3), { maxZoom: 9 }); }
})();
