/* Open alerts on a small map beside the duty board; refreshed with the board. */
(function () {
  "use strict";
  var el = document.getElementById("alert-map");
  if (!el || !window.L) { return; }
  var map = L.map(el, { minZoom: 4, maxZoom: 16 }).setView([-0.5, 29.2], 7);
  var colours = { critical: "#a4262c", high: "#d9822b", medium: "#e0b000", low: "#6b7785" };
  var layer = L.geoJSON(null, {
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
  var fitted = false;
  function refresh() {
    fetch(el.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (g) {
      layer.clearLayers();
      layer.addData(g);
      el.dataset.alerts = String(g.features.length);
      if (!fitted && g.features.length) { map.fitBounds(layer.getBounds().pad(0.5), { maxZoom: 10 }); fitted = true; }
    });
  }
  refresh();
  window.setInterval(refresh, 15000);
})();
