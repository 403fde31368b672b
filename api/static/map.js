// The region on a map: Leaflet (served from /assets, installed from package-lock.json).
// Layers come from /map/layers/<name>.geojson; dataset coverage is loaded when its layer is
// turned on (or a search runs), drawn as clustered points, and a dataset's coverage itself
// is fetched when its point is clicked. Nothing is fetched from another host unless the
// server names a tile URL (data-tiles).
(function () {
  "use strict";
  const element = document.getElementById("map");
  const map = L.map(element, { zoomSnap: 0.25, minZoom: 3, maxZoom: 18 });
  window.regiongraphMap = map;  // for people poking at it from the console (and the tests)
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { attribution: element.dataset.attribution || "" })
      .addTo(map);
  }
  map.setView([32.2, -111.0], 8);

  const STYLES = {
    "communities": { color: "#243447", weight: 2, fillOpacity: 0.06 },
    "service-areas": { color: "#7a5195", weight: 1.5, dashArray: "6 4", fillOpacity: 0.04 },
    "projects": { color: "#b04a1f", weight: 2, fillOpacity: 0.12 },
    "coverage": { color: "#1f78b4", weight: 2, fillOpacity: 0.2, className: "feature-coverage" },
  };
  const status = document.getElementById("map-status");
  const layers = {};      // name → Leaflet layer, once loaded
  let datasets = [];      // GeoJSON features of the dataset layer
  let searchHits = null;  // Set of dataset IRIs matching the search box, or null
  let coverage = null;    // the coverage drawn for the dataset last clicked

  function escape(text) {
    const span = document.createElement("span");
    span.textContent = text == null ? "" : String(text);
    return span.innerHTML;
  }

  function popup(props) {
    const extra = props.kind || props.phase || props.community_label || "";
    return `<a class="map-link" href="${escape(props.href)}">${escape(props.label)}</a>` +
      (extra ? `<br><span class="muted">${escape(extra)}</span>` : "");
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }

  async function loadPolygons(name) {
    const data = await getJSON(`/map/layers/${name}.geojson`);
    return L.geoJSON(data, {
      style: { ...STYLES[name], className: `feature-${name}` },
      onEachFeature: (feature, shape) => {
        shape.bindPopup(popup(feature.properties));
        shape.on("add", () => shape.getElement()?.setAttribute("data-id", feature.properties.id));
      },
    });
  }

  async function showCoverage(feature) {
    const url = "/map/features.geojson?iri=" + encodeURIComponent(feature.properties.id);
    const data = await getJSON(url);
    if (coverage) map.removeLayer(coverage);
    coverage = L.geoJSON(data, { style: STYLES.coverage }).addTo(map);
  }

  async function loadDatasets() {
    const data = await getJSON("/map/layers/datasets.geojson");
    datasets = data.features;
    buildFacets();
    return L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
  }

  function visibleDatasets() {
    const communities = checked("facet-community");
    const themes = checked("facet-theme");
    return datasets.filter((f) => {
      const p = f.properties;
      if (searchHits && !searchHits.has(p.id)) return false;
      if (communities.size && !communities.has(p.community)) return false;
      if (themes.size && !p.themes.some((t) => themes.has(t))) return false;
      return true;
    });
  }

  function drawDatasets() {
    const group = layers.datasets;
    if (!group) return;
    group.clearLayers();
    const shown = visibleDatasets();
    group.addLayers(shown.map((feature) => {
      const [lon, lat] = feature.geometry.coordinates;
      const marker = L.marker([lat, lon], {
        title: feature.properties.label,
        icon: L.divIcon({ className: "dataset-pin", iconSize: [12, 12] }),
      });
      marker.bindPopup(popup(feature.properties));
      marker.on("click", () => showCoverage(feature));
      marker.on("add", () => marker.getElement()?.setAttribute("data-id", feature.properties.id));
      return marker;
    }));
    status.textContent = `${shown.length} of ${datasets.length} datasets shown`;
    const list = document.getElementById("map-results");
    list.replaceChildren(...shown.slice(0, 200).map((f) => {
      const item = document.createElement("li");
      item.innerHTML = `<a href="${escape(f.properties.href)}">${escape(f.properties.label)}</a>`;
      return item;
    }));
  }

  function checked(id) {
    return new Set([...document.querySelectorAll(`#${id} input:checked`)].map((i) => i.value));
  }

  function facet(id, counts) {
    const box = document.getElementById(id);
    box.querySelectorAll("label").forEach((l) => l.remove());
    [...counts.entries()].sort((a, b) => a[1].label.localeCompare(b[1].label))
      .forEach(([value, { label, count }]) => {
        const row = document.createElement("label");
        row.innerHTML = `<input type="checkbox" value="${escape(value)}"> ` +
          `${escape(label)} <span class="muted">(${count})</span>`;
        row.querySelector("input").addEventListener("change", drawDatasets);
        box.appendChild(row);
      });
    box.hidden = counts.size === 0;
  }

  function buildFacets() {
    const communities = new Map();
    const themes = new Map();
    for (const { properties: p } of datasets) {
      const c = communities.get(p.community) || { label: p.community_label || p.community, count: 0 };
      c.count += 1;
      communities.set(p.community, c);
      for (const t of p.themes) {
        const entry = themes.get(t) || { label: t, count: 0 };
        entry.count += 1;
        themes.set(t, entry);
      }
    }
    facet("facet-community", communities);
    facet("facet-theme", themes);
  }

  async function turnOn(name) {
    if (!layers[name]) {
      status.textContent = `Loading ${name}...`;
      layers[name] = name === "datasets" ? await loadDatasets() : await loadPolygons(name);
    }
    layers[name].addTo(map);
    if (name === "datasets") drawDatasets();
    else status.textContent = "";
    return layers[name];
  }

  document.querySelectorAll("#map-layers input").forEach((box) => {
    box.addEventListener("change", async () => {
      if (box.checked) await turnOn(box.value);
      else if (layers[box.value]) map.removeLayer(layers[box.value]);
      if (!box.checked && box.value === "datasets" && coverage) map.removeLayer(coverage);
    });
  });

  document.getElementById("map-search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = document.getElementById("map-q").value.trim();
    const box = document.querySelector('#map-layers input[value="datasets"]');
    box.checked = true;
    await turnOn("datasets");
    if (!q) {
      searchHits = null;
    } else {
      status.textContent = "Searching...";
      searchHits = new Set();
      for (let page = 1; page <= 20; page += 1) {
        const url = `/search?q=${encodeURIComponent(q)}&rows=100&page=${page}`;
        const result = await getJSON(url);
        result.results.filter((r) => r.kind === "dataset").forEach((r) => searchHits.add(r.iri));
        if (page >= result.pages) break;
      }
    }
    drawDatasets();
  });

  (async () => {
    for (const box of document.querySelectorAll("#map-layers input:checked")) {
      await turnOn(box.value);
    }
    // The view opens on where the projects work (a state agency's boundary would zoom out
    // to the whole state).
    const focus = layers.projects || layers.communities;
    if (focus && focus.getBounds().isValid()) {
      map.fitBounds(focus.getBounds(), { padding: [10, 10], animate: false });
    }
    element.dataset.ready = "true";
  })().catch((error) => { status.textContent = String(error); });
})();
