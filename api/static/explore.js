// The lineage explorer: cytoscape.js (served from node_modules via /assets/cytoscape)
// draws what GET /lineage returns, one hop at a time. Clicking a node asks for its
// neighbours (depth 1, both directions) and adds only the nodes not yet drawn, so the
// page stays fast on regions with thousands of datasets: nothing is loaded up front.
(function () {
  "use strict";
  var box = document.getElementById("explorer");
  var status = document.getElementById("explorer-status");
  var detail = document.getElementById("explorer-detail");
  var form = document.getElementById("explore-form");
  var input = document.getElementById("root-input");
  var state = { expanded: {}, loading: 0, loads: 0, failures: [], ready: false };
  window.regiongraphExplorer = state;

  var colours = { dataset: "#4f7fa8", activity: "#b07d2b", project: "#5aa469",
                  community: "#8a5aa4", other: "#888" };
  var cy = cytoscape({
    container: box,
    elements: [],
    minZoom: 0.1,
    maxZoom: 4,
    style: [
      { selector: "node", style: {
          "label": "data(label)", "font-size": 10, "text-wrap": "ellipsis",
          "text-max-width": 140, "text-valign": "bottom", "text-margin-y": 4,
          "width": 18, "height": 18, "background-color": "data(colour)" } },
      { selector: "node.expanded", style: { "border-width": 3, "border-color": "#1d2733" } },
      { selector: "node.root", style: { "width": 26, "height": 26 } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#b04a1f" } },
      { selector: "edge", style: {
          "width": 1.5, "line-color": "#9aa5b1", "target-arrow-color": "#9aa5b1",
          "target-arrow-shape": "triangle", "curve-style": "bezier" } },
      { selector: "edge[kind = 'manual']", style: { "line-style": "dashed" } }
    ]
  });
  state.cy = cy;

  function say(text) { status.textContent = text; }

  function describe(node) {
    var id = node.id();
    detail.textContent = "";
    var strong = document.createElement("strong");
    strong.textContent = node.data("label");
    detail.appendChild(strong);
    detail.appendChild(document.createTextNode(" (" + node.data("type") + ") "));
    var marker = "/datasets/";
    if (node.data("type") === "dataset" && id.indexOf(marker) >= 0) {
      var link = document.createElement("a");
      link.href = "/datasets/" + id.split(marker)[1];
      link.textContent = "dataset page";
      detail.appendChild(link);
    }
  }

  function expand(id) {
    if (state.expanded[id]) { return Promise.resolve(0); }
    state.expanded[id] = true;
    state.loading += 1;
    say("loading neighbours…");
    var url = "/lineage/" + encodeURIComponent(id) + "?direction=both&depth=1&cap=200";
    return fetch(url, { headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("lineage request failed: " + response.status); }
        return response.json();
      })
      .then(function (data) {
        var origin = cy.getElementById(id);
        var centre = origin.nonempty() ? origin.position() : { x: 0, y: 0 };
        var added = 0;
        cy.batch(function () {
          data.nodes.forEach(function (n, index) {
            if (cy.getElementById(n.id).nonempty()) { return; }
            var angle = (2 * Math.PI * index) / Math.max(data.nodes.length, 1);
            var side = (n.depth || 0) < 0 ? -1 : 1;
            cy.add({ group: "nodes",
                     data: { id: n.id, label: n.label, type: n.type,
                             depth: origin.nonempty() ? null : n.depth,
                             colour: colours[n.type] || colours.other },
                     position: { x: centre.x + 160 * side + 30 * Math.cos(angle),
                                 y: centre.y + 90 * Math.sin(angle) * 2 } });
            added += 1;
          });
          data.edges.forEach(function (e) {
            var key = e.source + " -> " + e.target;
            if (cy.getElementById(key).nonempty()) { return; }
            cy.add({ group: "edges", data: { id: key, source: e.source, target: e.target,
                                             kind: e.kind } });
          });
        });
        cy.getElementById(id).addClass("expanded");
        if (added) {
          cy.layout({ name: "breadthfirst", directed: true, spacingFactor: 1.1,
                      animate: false, fit: true, padding: 30 }).run();
        }
        state.loads += 1;
        say(cy.nodes().length + " nodes, " + cy.edges().length + " edges" +
            (data.partial ? " (partial: too many neighbours to show at once)" : "") +
            ". Click a node to expand it.");
        return added;
      })
      .catch(function (error) {
        state.failures.push(String(error));
        delete state.expanded[id];
        say(String(error));
        return 0;
      })
      .finally(function () { state.loading -= 1; });
  }
  state.expand = expand;

  cy.on("tap", "node", function (event) {
    describe(event.target);
    expand(event.target.id());
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var value = input.value.trim();
    if (!value) { return; }
    cy.elements().remove();
    state.expanded = {};
    start(value);
  });

  function start(root) {
    return expand(root).then(function () {
      // The server answers with the IRI it resolved (community/identifier becomes an IRI).
      cy.nodes().filter(function (n) { return n.data("depth") === 0; }).addClass("root");
      state.ready = true;
    });
  }

  var root = box.getAttribute("data-root");
  if (root) { start(root); } else { state.ready = true; }
})();
