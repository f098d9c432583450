/* Leaflet's own words, the titles of its controls, in the page's language: the template
   that loads this script gives them, translated, as its data attributes. */
(function () {
  "use strict";
  var words = document.currentScript && document.currentScript.dataset;
  if (!window.L || !words) { return; }
  L.Control.Zoom.prototype.options.zoomInTitle = words.zoomIn;
  L.Control.Zoom.prototype.options.zoomOutTitle = words.zoomOut;
  L.Control.Attribution.prototype.options.prefix = '<a href="https://leafletjs.com">Leaflet</a>';
  var layout = L.Control.Layers.prototype._initLayout;
  L.Control.Layers.prototype._initLayout = function () {
    layout.call(this);
    if (this._layersLink) {
      this._layersLink.title = words.layers;
      this._layersLink.setAttribute("aria-label", words.layers);
    }
  };
})();
