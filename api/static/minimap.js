// A small map of one feature (a dataset's coverage, a community's boundary, a project's
// area) on its page: its geometry from /map/features.geojson, no base map. A feature
// without a geometry (or not visible to the asker) leaves the map hidden.
(function () {
  "use strict";
  document.querySelectorAll(".minimap[data-feature]").forEach(async (element) => {
    const url = "/map/features.geojson?iri=" + encodeURIComponent(element.dataset.feature);
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const data = await response.json();
    if (!data.features.length) return;
    element.hidden = false;
    const map = L.map(element, { scrollWheelZoom: false, attributionControl: false });
    const shape = L.geoJSON(data, {
      style: { color: "#b04a1f", weight: 2, fillOpacity: 0.15 },
      pointToLayer: (_feature, latlng) => L.circleMarker(latlng, { radius: 6 }),
    }).addTo(map);
    map.fitBounds(shape.getBounds(), { padding: [12, 12], maxZoom: 13, animate: false });
    element.dataset.ready = "true";
  });
})();
