/* The duty board's alerts on a map, with the board's filters, refreshed with the board.
   No tile server: the provinces, territories and bases under the alerts come from the
   app's own GeoJSON, so the map reads the same on a base with no internet. */
(function () {
  "use strict";
  var el = document.getElementById("alert-map");
  if (!el || !window.L) { return; }
  var data = el.dataset;
  var map = L.map(el, { minZoom: 4, maxZoom: 16, keyboard: false }).setView([-0.5, 29.2], 7);
  var colours = { critical: "#a4262c", high: "#d9822b", medium: "#e0b000", low: "#6b7785" };

  function load(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(url + " " + r.status); }
      return r.json();
    });
  }
  var territories = L.geoJSON(null, {
    style: { color: "#9a9a9a", weight: 1, fillColor: "#eeebe2", fillOpacity: 0.5 }, interactive: false
  }).addTo(map);
  var provinces = L.geoJSON(null, { style: { color: "#555", weight: 2, fill: false }, interactive: false }).addTo(map);
  var bases = L.geoJSON(null, {
    pointToLayer: function (f, ll) {
      return L.circleMarker(ll, { radius: 5, color: "#0b4f8a", fillColor: "#1f78c8", fillOpacity: 1, weight: 2, interactive: false });
    },
    onEachFeature: function (f, marker) {
      marker.bindTooltip(f.properties.name, { permanent: true, direction: "right", className: "base-label" });
    }
  }).addTo(map);
  load(data.territories).then(function (g) { territories.addData(g); data.territoriesLoaded = String(g.features.length); });
  load(data.provinces).then(function (g) { provinces.addData(g); data.provincesLoaded = String(g.features.length); });
  load(data.bases).then(function (g) { bases.addData(g); data.basesLoaded = String(g.features.length); });

  var alerts = L.geoJSON(null, {
    pointToLayer: function (f, ll) {
      return L.circleMarker(ll, { radius: 8, weight: 2, color: "#222", fillColor: colours[f.properties.severity] || "#888", fillOpacity: 0.9 });
    },
    onEachFeature: function (f, marker) {
      var link = document.createElement("a");
      link.href = f.properties.url;
      link.textContent = f.properties.ref + " · " + f.properties.threat + " · " + f.properties.status;
      marker.bindPopup(link);
    }
  }).addTo(map);
  var filters = document.querySelector("form.filters");
  var fitted = false;
  function refresh() {
    var query = filters ? new URLSearchParams(new FormData(filters)).toString() : "";
    load(data.url + (query ? "?" + query : "")).then(function (g) {
      alerts.clearLayers();
      alerts.addData(g);
      data.alerts = String(g.features.length);
      data.query = query;
      if (!fitted && g.features.length) { map.fitBounds(alerts.getBounds().pad(0.5), { maxZoom: 10 }); fitted = true; }
    });
  }
  refresh();
  if (filters) { filters.addEventListener("change", refresh); }
  window.setInterval(refresh, 5000);
})();
