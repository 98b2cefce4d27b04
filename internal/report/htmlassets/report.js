"use strict";
// The kubeward HTML report: every text comes from the data through
// textContent, never as markup, so nothing in a manifest can run here.
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const SEVS = ["critical", "high", "medium", "low", "info"];
  const PAGE = 200; // rows or groups rendered at once; "show more" adds the next
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  }
  const plural = (n, one, many) => n + " " + (n === 1 ? one : many);
  const sevSpan = (s) => el("span", { class: "sev " + s }, s);
  const checks = data.checks;
  const findings = data.findings;
  // Lower-cased text each finding is searched in, built once.
  const hay = findings.map((f) => [checks[f.c].id, checks[f.c].title, f.o, f.w || "", f.p || "", f.m, f.x || ""].join("\n").toLowerCase());

  const state = { q: "", sev: new Set(SEVS), ns: "", suppressed: true, view: "check" };

  // Header: the gate's verdict and the counts.
  const s = data.summary;
  const verdict = $("verdict");
  if (s.exitCode === 2) { verdict.textContent = "INCOMPLETE: input errors, the scan did not read everything"; verdict.classList.add("incomplete"); }
  else if (s.gate.failed) { verdict.textContent = "FAILED: " + plural(s.gate.findings, "finding", "findings") + " at or above " + s.gate.failOn; verdict.classList.add("failed"); }
  else if (s.exitCode === 1) { verdict.textContent = "FAILED: coverage is incomplete"; verdict.classList.add("failed"); }
  else { verdict.textContent = "Passed (gate: " + s.gate.failOn + ")"; verdict.classList.add("passed"); }
  $("counts").textContent = plural(s.objects, "object", "objects") + ", " + plural(s.checks, "check", "checks") + ": " +
    plural(s.findings, "finding", "findings") + (s.suppressed ? ", " + s.suppressed + " suppressed" : "") +
    (s.baselined ? ", " + s.baselined + " in the baseline" : "") + (data.hidden ? ", " + data.hidden + " below --severity not included" : "") + ".";

  // Summary cards: by severity, by framework, by namespace.
  const summary = $("summary");
  const sevCard = el("div", { class: "card", id: "by-severity" }, el("h2", {}, "By severity"));
  const sevTable = el("table");
  for (const sv of SEVS) sevTable.append(el("tr", {}, el("td", {}, sevSpan(sv)), el("td", { class: "n" }, String(s.bySeverity[sv]))));
  sevTable.append(el("tr", {}, el("td", {}, "suppressed"), el("td", { class: "n" }, String(s.suppressed))));
  sevCard.append(sevTable);
  summary.append(sevCard);
  if (data.frameworks.length) {
    const card = el("div", { class: "card", id: "by-framework" }, el("h2", {}, "Frameworks"));
    const t = el("table");
    for (const fw of data.frameworks) {
      const c = fw.counts;
      t.append(el("tr", {}, el("td", {}, fw.title), el("td", { class: "n" }, fw.score.toFixed(1) + "%"),
        el("td", {}, el("div", { class: "bar", title: fw.score.toFixed(1) + "%" }, el("span", { style: "width:" + fw.score + "%" })))));
      t.append(el("tr", {}, el("td", { colspan: "3", class: "muted" },
        c.passed + " passed, " + c.failed + " failed, " + c.notChecked + " not checked, " + c.notApplicable + " not applicable, " + c.manual + " manual")));
    }
    card.append(t);
    summary.append(card);
  }
  const byNs = new Map();
  findings.forEach((f) => { if (!f.x) byNs.set(f.n || "", (byNs.get(f.n || "") || 0) + 1); });
  const nsCard = el("div", { class: "card", id: "by-namespace" }, el("h2", {}, "By namespace"));
  const nsTable = el("table");
  const nss = [...byNs.entries()].sort((a, b) => b[1] - a[1]);
  nss.slice(0, 10).forEach(([ns, n]) => nsTable.append(el("tr", { class: "click", onclick: () => { $("namespace").value = ns || "-"; state.ns = ns || "-"; render(); } },
    el("td", {}, ns || "(cluster-scoped)"), el("td", { class: "n" }, String(n)))));
  if (nss.length > 10) nsTable.append(el("tr", {}, el("td", { colspan: "2", class: "muted" }, "and " + (nss.length - 10) + " more")));
  nsCard.append(nsTable);
  summary.append(nsCard);

  // Filters.
  for (const sv of SEVS) {
    const box = el("input", { type: "checkbox", id: "sev-" + sv, checked: "" });
    box.addEventListener("change", () => { box.checked ? state.sev.add(sv) : state.sev.delete(sv); render(); });
    $("severities").append(el("label", {}, box, " ", sevSpan(sv)));
  }
  const nsSelect = $("namespace");
  [...byNs.keys()].concat(findings.filter((f) => f.x).map((f) => f.n || "")).filter((v, i, a) => a.indexOf(v) === i).sort()
    .forEach((ns) => nsSelect.append(el("option", { value: ns || "-" }, ns || "(cluster-scoped)")));
  nsSelect.addEventListener("change", () => { state.ns = nsSelect.value; render(); });
  let timer = 0;
  $("search").addEventListener("input", (e) => { clearTimeout(timer); timer = setTimeout(() => { state.q = e.target.value.trim().toLowerCase(); render(); }, 120); });
  $("suppressed").addEventListener("change", (e) => { state.suppressed = e.target.checked; render(); });
  $("by-check").addEventListener("click", () => setView("check"));
  $("by-object").addEventListener("click", () => setView("object"));
  function setView(v) { state.view = v; $("by-check").classList.toggle("on", v === "check"); $("by-object").classList.toggle("on", v === "object"); render(); }

  function matches(i) {
    const f = findings[i];
    if (!state.sev.has(f.s) || (f.x && !state.suppressed)) return false;
    if (state.ns && (f.n || "-") !== state.ns && !(state.ns === "-" && !f.n)) return false;
    return !state.q || hay[i].includes(state.q);
  }

  function row(i, showCheck) {
    const f = findings[i], c = checks[f.c];
    const r = el("div", { class: "row" + (f.x ? " suppressed" : ""), "data-finding": String(i) });
    const head = el("div", {}, sevSpan(f.s), " ", el("span", { class: "obj" }, showCheck ? c.id : f.o));
    if (f.x) head.append(el("span", { class: "badge", title: f.x }, "suppressed: " + f.x));
    r.append(head, el("div", {}, f.m));
    if (f.w) r.append(el("div", { class: "where" }, f.w));
    if (f.a) r.append(el("div", { class: "where" }, f.a));
    if (f.v) r.append(el("div", { class: "where" }, "vendored code: outside the gate"));
    if (f.p) r.append(el("div", { class: "path" }, "at " + f.p));
    if (f.f) r.append(el("div", { class: "fix" }, "fix: " + f.f));
    return r;
  }

  // A group's rows are built when it is opened, a page at a time.
  function group(key, title, sev, idx, intro, showCheck) {
    const open = idx.filter((i) => !findings[i].x).length;
    const objects = new Set(idx.map((i) => findings[i].o)).size;
    const d = el("details", { class: "group", "data-key": key });
    d.append(el("summary", {}, sevSpan(sev), el("span", { class: "id" }, key), el("span", {}, title),
      el("span", { class: "count" }, plural(idx.length, "finding", "findings") + (showCheck ? "" : " on " + plural(objects, "object", "objects")) +
        (open < idx.length ? " (" + (idx.length - open) + " suppressed)" : ""))));
    let built = false;
    d.addEventListener("toggle", () => {
      if (!d.open || built) return;
      built = true;
      const body = el("div", { class: "body" }, ...intro);
      d.append(body);
      let n = 0;
      const more = () => {
        idx.slice(n, n + PAGE).forEach((i) => body.append(row(i, showCheck)));
        n += PAGE;
        if (n < idx.length) body.append(el("button", { class: "more", type: "button", onclick: (e) => { e.target.remove(); more(); } }, "Show " + Math.min(PAGE, idx.length - n) + " more"));
      };
      more();
    });
    return d;
  }

  function render() {
    const results = $("results");
    results.replaceChildren();
    const keys = new Map(); // group key -> finding indexes, in first-seen order (most severe first)
    let shown = 0;
    for (let i = 0; i < findings.length; i++) {
      if (!matches(i)) continue;
      shown++;
      const k = state.view === "check" ? findings[i].c : findings[i].o + "\u0000" + (findings[i].w || "").split(":")[0];
      if (!keys.has(k)) keys.set(k, []);
      keys.get(k).push(i);
    }
    $("shown").textContent = "Showing " + plural(shown, "finding", "findings") + " of " + findings.length + " in " +
      plural(keys.size, state.view === "check" ? "check" : "object", state.view === "check" ? "checks" : "objects") + ".";
    const groups = [...keys.entries()];
    let n = 0;
    const more = () => {
      for (const [k, idx] of groups.slice(n, n + PAGE)) {
        const f = findings[idx[0]];
        if (state.view === "check") {
          const c = checks[k];
          const sev = SEVS.find((sv) => idx.some((i) => findings[i].s === sv)) || c.severity;
          results.append(group(c.id, c.title, sev, idx, [el("p", { class: "why muted" }, c.rationale), el("div", { class: "fix" }, "fix: " + c.fix)], false));
        } else {
          const file = (f.w || "").split(":")[0];
          results.append(group(f.o, file, f.s, idx, [], true));
        }
      }
      n += PAGE;
      if (n < groups.length) results.append(el("button", { class: "more", type: "button", onclick: (e) => { e.target.remove(); more(); } }, "Show " + Math.min(PAGE, groups.length - n) + " more groups"));
    };
    more();
    // A search opens the first group, so what it found is in sight.
    const first = results.querySelector("details");
    if (first && (state.q || groups.length <= 3)) first.open = true;
  }
  render();

  // Input problems and coverage gaps, after the findings.
  const extra = $("extra");
  if (data.problems.length) {
    extra.append(el("h2", {}, "Input problems (" + data.problems.length + ")"));
    const list = el("ul", { id: "problems" });
    data.problems.forEach((p) => list.append(el("li", {}, p.level + ": " + [p.file, p.line, p.column].filter(Boolean).join(":") + " " + p.message)));
    extra.append(list);
  }
  if (data.gaps.length) {
    extra.append(el("h2", {}, "Coverage gaps (" + data.gaps.length + ")"));
    const list = el("ul", { id: "gaps" });
    data.gaps.forEach((g) => list.append(el("li", {}, g.id + ": " + g.reason + (g.accepted ? " (accepted: " + g.accepted.reason + ")" : ""))));
    extra.append(list);
  }
  if (data.frameworks.length) {
    for (const fw of data.frameworks) {
      extra.append(el("h2", {}, fw.title + ": score " + fw.score.toFixed(1) + "%"));
      const t = el("table", { class: "controls-table" });
      fw.controls.filter((c) => c.status === "failed" || c.status === "not-checked").forEach((c) =>
        t.append(el("tr", {}, el("td", {}, c.id), el("td", {}, c.status), el("td", {}, c.title), el("td", { class: "muted" }, c.status === "failed" ? c.failingObjects.slice(0, 5).join(", ") + (c.failingObjects.length > 5 ? " and " + (c.failingObjects.length - 5) + " more" : "") : c.reason || ""))));
      extra.append(t);
    }
  }
  document.body.dataset.ready = "true";
})();
