/* The map of places, communities and bases. No tile server: boundaries and points
   come from the app's own GeoJSON, so it works on a base with no internet. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var data = el.dataset;
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.5, minZoom: 4, maxZoom: 18 }).setView([-1.0, 28.9], 6);
  var selectedLayer = L.layerGroup().addTo(map);
  var selectedText = document.getElementById("selected");

  function load(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(url + " " + r.status); }
      return r.json();
    });
  }
  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }
  function popup(p) {
    return "<strong>" + escapeHtml(p.name) + "</strong>" + (p.kind ? "<br>" + escapeHtml(p.kind) : "") +
      (p.pcode ? "<br>" + escapeHtml(p.pcode) : "") + (p.place ? "<br>" + escapeHtml(p.place) : "");
  }

  var provinces = L.geoJSON(null, { style: { color: "#555", weight: 2, fill: false }, interactive: false });
  var territories = L.geoJSON(null, {
    style: { color: "#888", weight: 1, fillColor: "#e8e4d8", fillOpacity: 0.35 },
    onEachFeature: function (f, layer) { layer.bindTooltip(escapeHtml(f.properties.name + " " + (f.properties.pcode || ""))); }
  });
  var settlements = L.markerClusterGroup({ chunkedLoading: true, disableClusteringAtZoom: 13, maxClusterRadius: 50 });
  var communities = L.geoJSON(null, {
    pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 7, color: "#7a2e8c", fillColor: "#b065c2", fillOpacity: 0.9, weight: 2 }); },
    onEachFeature: function (f, layer) { layer.bindPopup(popup(f.properties)); }
  });
  var bases = L.geoJSON(null, {
    pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 9, color: "#0b4f8a", fillColor: "#1f78c8", fillOpacity: 1, weight: 3 }); },
    onEachFeature: function (f, layer) {
      layer.bindPopup(popup(f.properties));
      layer.bindTooltip(escapeHtml(f.properties.name), { permanent: true, direction: "right", className: "base-label" });
    }
  });
  territories.addTo(map); provinces.addTo(map); settlements.addTo(map); communities.addTo(map); bases.addTo(map);
  var overlays = {};
  overlays[data.labelProvinces] = provinces;
  overlays[data.labelTerritories] = territories;
  overlays[data.labelSettlements] = settlements;
  overlays[data.labelCommunities] = communities;
  overlays[data.labelBases] = bases;
  L.control.layers(null, overlays, { collapsed: true }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);

  load(data.provinces).then(function (g) { provinces.addData(g); el.dataset.provincesLoaded = String(g.features.length); });
  var territoriesLoaded = load(data.territories).then(function (g) {
    territories.addData(g);
    el.dataset.territoriesLoaded = String(g.features.length);
  });
  load(data.settlements).then(function (g) {
    var markers = g.features.map(function (f) {
      var c = f.geometry.coordinates;
      return L.circleMarker([c[1], c[0]], { radius: 4, color: "#3d6b35", weight: 1, fillColor: "#6ea85f", fillOpacity: 0.8 })
        .bindPopup(popup(f.properties));
    });
    settlements.addLayers(markers);
    el.dataset.settlementsLoaded = String(markers.length);
  });
  load(data.communities).then(function (g) { communities.addData(g); });
  var basesLoaded = load(data.bases).then(function (g) { bases.addData(g); });
  // Open on the user's own bases; without any, on the whole gazetteer.
  Promise.all([territoriesLoaded, basesLoaded]).then(function () {
    if (el.dataset.selectedId) { return; }
    if (bases.getLayers().length) {
      map.fitBounds(bases.getBounds().pad(0.6), { maxZoom: 9 });
    } else if (territories.getLayers().length) {
      map.fitBounds(territories.getBounds(), { maxZoom: 8 });
    }
  });

  function select(name, lat, lon, id) {
    selectedLayer.clearLayers();
    var marker = L.marker([lat, lon], { title: name, keyboard: true }).addTo(selectedLayer);
    marker.getElement().classList.add("selected-place");
    marker.bindPopup("<strong>" + escapeHtml(name) + "</strong>").openPopup();
    map.setView([lat, lon], Math.max(map.getZoom(), 12));
    el.dataset.selectedId = id || "";
    if (selectedText) { selectedText.textContent = data.labelSelected + ": " + name + " (" + lat.toFixed(4) + ", " + lon.toFixed(4) + ")"; }
  }

  // Candidates arrive by htmx; choosing one (click, or Enter on the focused button)
  // puts it on the map.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.candidate");
    if (!button || !button.dataset.lat) { return; }
    select(button.dataset.name, parseFloat(button.dataset.lat), parseFloat(button.dataset.lon), button.dataset.id);
  });
  // From the search box, the down arrow moves to the first candidate.
  var input = document.getElementById("map-q");
  if (input) {
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        var first = document.querySelector("#candidates button.candidate");
        if (first) { first.focus(); event.preventDefault(); }
      }
    });
  }
  document.getElementById("candidates").addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") { return; }
    var buttons = Array.prototype.slice.call(document.querySelectorAll("#candidates button.candidate"));
    var at = buttons.indexOf(document.activeElement);
    if (at < 0) { return; }
    var next = buttons[at + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) { next.focus(); event.preventDefault(); }
  });
  // A search given in the address (a place's "show on the map" link) runs once htmx,
  // loaded deferred, has set the page up (it does so at DOMContentLoaded, after this).
  function searchGiven() { htmx.trigger(input.form, "submit"); }
  if (input && input.value) {
    if (document.readyState === "complete") {
      searchGiven();
    } else {
      window.addEventListener("load", searchGiven);
    }
  }
})();
