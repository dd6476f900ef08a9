// The report's interactive evidence graph: the graph evsynth wrote (nodes laid out as in graph.cx2, drawn in the
// CX2 style's colours and shapes) handed to cytoscape.js, and a panel that shows the evidence behind the node or
// edge under the pointer (or tapped), with links to the records. Record text only ever reaches the page as
// text (textContent), never as markup.
(function () {
  "use strict";
  const holder = document.getElementById("graph-live");
  const source = document.getElementById("graph-data");
  if (!holder || !source || typeof cytoscape !== "function") return;
  const data = JSON.parse(source.textContent);
  const panel = holder.querySelector(".graph-info");
  document.body.classList.add("graph-live"); // shows the canvas (and hides the static picture) before drawing

  const elements = [];
  for (const n of data.nodes) {
    const classes = n.type + (n.major ? " major" : " minor");
    elements.push({ group: "nodes", data: n, position: { x: n.x, y: n.y }, classes: classes });
  }
  for (const e of data.edges) {
    elements.push({ group: "edges", data: e, classes: e.relation === "member_of" ? "member" : "" });
  }
  const cy = cytoscape({
    container: holder.querySelector(".graph-canvas"),
    elements: elements,
    layout: { name: "preset", fit: true, padding: 20 },
    minZoom: 0.2,
    maxZoom: 5,
    style: [
      {
        selector: "node",
        style: {
          shape: "data(shape)",
          "background-color": "data(colour)",
          width: "data(size)",
          height: "data(size)",
          "border-width": 1,
          "border-color": "#333",
          label: "data(label)",
          "font-size": 12,
          "font-family": "system-ui, sans-serif",
          "text-valign": "data(valign)",
          "text-halign": "data(halign)",
          "text-margin-y": 2,
          "text-wrap": "wrap",
          "text-outline-color": "#ffffff",
          "text-outline-width": 2,
        },
      },
      // the names placed without overlap show at the first view; the others once zoomed in (set after the fit)
      { selector: "node.minor", style: { "font-size": 10 } },
      {
        selector: "edge",
        style: { width: "data(width)", "line-color": "#8c8c8c", opacity: 0.55, "curve-style": "haystack" },
      },
      { selector: "edge.member", style: { "line-style": "dashed", "curve-style": "straight" } },
      { selector: ".faded", style: { opacity: 0.12, "text-opacity": 0.12 } },
      { selector: "node.hit", style: { "border-width": 4, "border-color": "#111", "min-zoomed-font-size": 0 } },
      { selector: "edge.hit", style: { opacity: 1, "line-color": "#333" } },
    ],
  });

  cy.style()
    .selector("node.minor")
    .style("min-zoomed-font-size", 16 * cy.zoom()) // shown from 1.6 times the first view's zoom
    .selector("node.hit")
    .style("min-zoomed-font-size", 0)
    .update();

  function clear(element) {
    while (element.firstChild) element.removeChild(element.firstChild);
  }
  function add(parent, tag, text, className) {
    const child = document.createElement(tag);
    if (text !== undefined) child.textContent = text;
    if (className) child.className = className;
    parent.appendChild(child);
    return child;
  }
  function link(parent, record) {
    // record: [shown text, https address or ""]
    if (!record[1]) return add(parent, "span", record[0]);
    const anchor = add(parent, "a", record[0]);
    anchor.href = record[1];
    anchor.target = "_blank";
    anchor.rel = "noopener";
    return anchor;
  }
  function recordList(parent, records, more) {
    const list = add(parent, "ul");
    for (const record of records) link(add(list, "li"), record);
    if (more) add(parent, "p", "… and " + more + " more (open graph.cx2 in Cytoscape for all)", "note");
  }
  function showNode(node) {
    const n = node.data();
    clear(panel);
    add(panel, "h3", n.name);
    add(panel, "p", n.kind + (n.ids ? " · " + n.ids : ""), "note");
    add(panel, "p", n.n_records + (n.n_records === 1 ? " record" : " records") + " name it:");
    recordList(panel, n.records, n.more);
    panel.dataset.showing = n.id;
  }
  function showEdge(edge) {
    const e = edge.data();
    clear(panel);
    add(panel, "h3", e.title);
    add(panel, "p", e.kind + " · " + e.n_records + (e.n_records === 1 ? " record" : " records") + " · score " +
      e.score, "note");
    const list = add(panel, "ul", undefined, "evidence");
    for (const item of e.evidence) {
      const line = add(list, "li");
      link(line, item);
      if (item[2]) add(line, "span", ": " + item[2]);
    }
    if (e.more) add(panel, "p", "… and " + e.more + " more records (open graph.cx2 in Cytoscape for all)", "note");
    panel.dataset.showing = e.id;
  }
  function focus(element) {
    cy.elements().removeClass("faded hit");
    const near = element.isNode() ? element.closedNeighborhood() : element.union(element.connectedNodes());
    cy.elements().not(near).addClass("faded");
    element.addClass("hit");
    if (element.isNode()) showNode(element);
    else showEdge(element);
  }
  cy.on("mouseover tap", "node, edge", (event) => focus(event.target));
  cy.on("tap", (event) => {
    if (event.target === cy) cy.elements().removeClass("faded hit");
  });

  const search = holder.querySelector("input[type=search]");
  search.addEventListener("input", () => {
    const wanted = search.value.trim().toLowerCase();
    cy.elements().removeClass("faded hit");
    if (!wanted) return;
    const found = cy.nodes().filter((node) => node.data("name").toLowerCase().includes(wanted));
    if (found.length === 0) return;
    cy.nodes().not(found).addClass("faded");
    cy.edges().addClass("faded");
    found.addClass("hit");
    if (found.length === 1) showNode(found[0]);
    cy.animate({ fit: { eles: found, padding: 80 }, duration: 200 });
  });
  for (const box of holder.querySelectorAll("input[data-type]")) {
    box.addEventListener("change", () => {
      const shown = box.checked ? "element" : "none";
      cy.nodes("." + box.dataset.type).style("display", shown);
    });
  }
  holder.querySelector("button.fit").addEventListener("click", () => {
    search.value = "";
    cy.elements().removeClass("faded hit");
    cy.fit(undefined, 20);
  });
  window.evsynthGraph = cy; // for the browser tests, and for a reader's console
})();
