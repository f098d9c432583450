/* Clusters of the scan on a map: a circle per cluster (red when p < 0.05), its
   member events as dots. No tile server: boundaries come from the app. */
(function () {
  "use strict";
  var el = document.getElementById("hotspot-map");
  var source = document.getElementById("hotspot-data");
  if (!el || !source || !window.L) { return; }
  var data = JSON.parse(source.textContent);
  var map = L.map(el, { minZoom: 3, maxZoom: 16 }).setView([-0.5, 29.2], 6);
  L.control.scale({ imperial: false }).addTo(map);
  fetch("/places/geo/areas.geojson?kind=province", { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (g) { L.geoJSON(g, { style: { color: "#777", weight: 1, fill: false }, interactive: false }).addTo(map); });
  var group = L.featureGroup().addTo(map);
  data.clusters.forEach(function (c) {
    var significant = c.p_value !== null && c.p_value < 0.05;
    var colour = significant ? "#a4262c" : "#6b7785";
    var circle = L.circle([c.lat, c.lon], {
      radius: Math.max(c.radius_km * 1000, 800), color: colour, weight: significant ? 3 : 1, fillOpacity: 0.15
    });
    circle.bindTooltip("#" + (c.rank + 1) + " · " + c.observed + " / " + c.expected.toFixed(2) + " · p=" + (c.p_value === null ? "—" : c.p_value.toFixed(3)));
    group.addLayer(circle);
    c.points.forEach(function (p) {
      var dot = L.circleMarker([p[0], p[1]], { radius: 4, color: colour, fillOpacity: 0.9, weight: 1 });
      dot.bindTooltip(p[3] + " · " + p[2]);
      group.addLayer(dot);
    });
  });
  el.dataset.clusters = String(data.clusters.length);
  if (data.clusters.length) { map.fitBounds(group.getBounds().pad(0.3), { maxZoom: 11 }); }
})();
