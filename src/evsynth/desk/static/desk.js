// evsynth desk: the queue, one record with its evidence highlighted, and decisions by key.
// Every text from a record goes in with textContent, never as markup.
"use strict";
const state = { items: [], index: -1, record: null,
  filter: new URLSearchParams(location.search).get("show") || "uncertain" };
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

async function loadQueue(keep) {
  const data = await api(`/api/queue?decision=${encodeURIComponent(state.filter)}`);
  $("review").textContent = `evsynth desk: ${data.review}`;
  const p = data.progress;
  $("progress").textContent = `${p.reviewed} of ${p.uncertain} uncertain records decided by a reviewer`;
  state.items = data.items;
  const list = $("queue");
  list.replaceChildren(...data.items.map((item, i) => {
    const li = el("li", { "data-record": item.record_id, class: item.reviewed ? "reviewed" : "" },
      el("span", { class: `badge ${item.decision}` }, item.decision), item.title || "(no title)",
      el("span", { class: "meta" }, ` ${item.year || ""}`),
      item.score === null ? "" : el("span", { class: "score", title: "the ranking model's include probability" },
        ` ${Math.round(item.score * 100)}%`));
    li.addEventListener("click", () => show(i));
    return li;
  }));
  // the record asked for, else the first no reviewer has decided (the queue puts them first, likeliest first)
  const at = keep === undefined ? Math.max(0, state.items.findIndex((item) => !item.reviewed))
    : state.items.findIndex((item) => item.record_id === keep);
  if (state.items.length) await show(at < 0 ? Math.min(state.index, state.items.length - 1) : at);
}

function highlighted(text, field, evidence) {
  const spans = evidence.filter((e) => e.field === field && e.start >= 0 && e.end > e.start)
    .sort((a, b) => a.start - b.start);
  const parts = [];
  let at = 0;
  for (const span of spans) {
    if (span.start < at) continue;
    parts.push(text.slice(at, span.start));
    parts.push(el("mark", { title: span.label, class: span.against ? "against" : "" },
      text.slice(span.start, span.end)));
    at = span.end;
  }
  parts.push(text.slice(at));
  return parts;
}

async function show(i) {
  if (i < 0 || i >= state.items.length) return;
  state.index = i;
  document.querySelectorAll("#queue li").forEach((li, k) => li.classList.toggle("current", k === i));
  document.querySelector("#queue li.current")?.scrollIntoView({ block: "nearest" });
  const r = await api(`/api/record/${state.items[i].record_id}`);
  state.record = r;
  const links = [];
  if (r.pmid) links.push(el("a", { href: `https://pubmed.ncbi.nlm.nih.gov/${encodeURIComponent(r.pmid)}/`,
    target: "_blank", rel: "noopener" }, `PMID ${r.pmid}`));
  if (r.doi) links.push(" ", el("a", { href: `https://doi.org/${encodeURI(r.doi)}`, target: "_blank",
    rel: "noopener" }, `doi:${r.doi}`));
  // reasons are the criteria's labels, which say what failed: an include has none to show
  const ruled = {
    uncertain: `uncertain: the rules cannot tell (${r.reasons.join("; ")})`,
    include: "include by the rules: meets every inclusion criterion, no exclusion fires",
    exclude: `exclude by the rules: ${r.reasons.join("; ")}`,
  }[r.rule_decision] || r.rule_decision;
  const scored = state.items[i].score === null ? "" : `; the ranking model gives it ${Math.round(state.items[i].score * 100)}% to be an include`;
  const verdict = (r.override_reason ? `${r.decision} by a reviewer: ${r.override_reason} (${ruled})` : ruled) + scored;
  $("record").replaceChildren(
    el("h2", { id: "title" }, ...highlighted(r.title || "(no title)", "title", r.evidence)),
    el("p", { class: "meta" }, `${r.authors.slice(0, 6).join(", ")}${r.authors.length > 6 ? " et al." : ""}. `,
      `${r.journal || ""} ${r.year || ""}. `, ...links),
    el("p", { class: "verdict", id: "verdict" }, verdict),
    el("p", { class: "abstract", id: "abstract" }, ...highlighted(r.abstract || "(no abstract)", "abstract", r.evidence)),
    el("p", { class: "meta" }, `Publication types: ${r.pub_types.join(", ") || "none"}`),
    el("p", { class: "meta" }, `MeSH: ${r.mesh.join("; ") || "none"}`),
    el("h3", {}, "Criteria"),
    el("table", { class: "criteria" }, el("tr", {}, el("th", {}, "criterion"), el("th", {}, ""), el("th", {}, "evidence")),
      ...r.criteria.map((c) => el("tr", { class: c.against ? "against" : c.value === "unknown" ? "unknown" : "" },
        el("td", {}, `${c.kind === "exclude" ? "exclude if" : "include if"}: ${c.name}`),
        el("td", {}, c.value),
        el("td", {}, c.evidence.map((e) => `${e.field} "${e.value}"`).join("; ") || "-")))),
  );
  $("reasons").replaceChildren(...r.exclusion_reasons.map((label) => el("option", { value: label })));
}

// The outputs derived from the decisions are rewritten in the background once the reviewer pauses.
let watching = false;
async function watchOutputs() {
  if (watching) return;
  watching = true;
  try {
    for (;;) {
      const s = await api("/api/status");
      $("outputs").textContent = s.error ? `outputs not rewritten: ${s.error}` : {
        current: "outputs up to date", pending: "outputs: rewritten when you pause", rewriting: "rewriting the outputs…",
      }[s.outputs];
      $("outputs").className = s.error ? "failed" : s.outputs;
      if (s.outputs === "current") break;
      await new Promise((done) => setTimeout(done, 1000));
    }
  } finally {
    watching = false;
  }
}

async function decide(decision) {
  if (!state.record) return;
  const typed = $("reason").value.trim();
  const reason = typed || { include: "Included at the desk", maybe: "Maybe: check the full text" }[decision] || "";
  if (decision === "exclude" && !reason) {
    $("status").textContent = "an exclusion needs a reason: pick one or type it (r)";
    $("reason").focus();
    return;
  }
  try {
    const r = await api("/api/decide", { record_id: state.record.record_id, decision, reason });
    $("status").textContent = decision === "undo" ? "undone" : `${r.decision}: ${r.override_reason}`;
    $("reason").value = "";
    watchOutputs();
    await loadQueue(decision === "undo" ? r.record_id : undefined);
  } catch (error) {
    $("status").textContent = error.message;
  }
}

document.addEventListener("keydown", (event) => {
  if (event.target === $("reason")) {
    if (event.key === "Escape") $("reason").blur();
    if (event.key === "Enter") { $("reason").blur(); }
    return;
  }
  const keys = { j: () => show(state.index + 1), ArrowDown: () => show(state.index + 1),
    k: () => show(state.index - 1), ArrowUp: () => show(state.index - 1), i: () => decide("include"),
    e: () => decide("exclude"), m: () => decide("maybe"), u: () => decide("undo"),
    r: () => $("reason").focus() };
  const action = keys[event.key];
  if (action && !event.ctrlKey && !event.metaKey && !event.altKey) { event.preventDefault(); action(); }
});
document.querySelectorAll("button[data-decision]").forEach((b) =>
  b.addEventListener("click", () => decide(b.dataset.decision)));
$("filter").addEventListener("change", () => { state.filter = $("filter").value; loadQueue(); });
$("filter").value = state.filter;
loadQueue();
watchOutputs();
