// Draws docs/benchmarks.svg from a run's medians: one small panel per workload, one bar per
// implementation, asyncio-ts in blue, CPython in amber, the JavaScript peers in grey and the
// bare trampolines (the limit of the design) as outlines. Hand-written SVG, no dependency.

const W = 1000;
const COLS = 3;
const GAP = 16;
const PANEL_W = (W - GAP * (COLS + 1)) / COLS;
const LABEL_W = 96;
const VALUE_W = 92;
const BAR_W = PANEL_W - LABEL_W - VALUE_W - 12;
const ROW_H = 16;
const HEAD_H = 40;
const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";

const STYLE = {
  ours: { fill: "#1d4ed8", stroke: "none" },
  ours_alt: { fill: "#60a5fa", stroke: "none" },
  python: { fill: "#f59e0b", stroke: "none" },
  js: { fill: "#6b7280", stroke: "none" },
  micro: { fill: "#b6bcc6", stroke: "none" },
  limit: { fill: "#ffffff", stroke: "#6b7280" },
};

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** What a panel plots for a workload: the value, its label, and whether lower is better. */
function metric(w, fmtRate) {
  if (w === "W4") {
    return {
      lower: true,
      unit: "overshoot past the longest sleep",
      value: (m) => m.overshoot_ms,
      label: (m) => `+${m.overshoot_ms.toFixed(0)} ms`,
    };
  }
  if (w === "M") {
    return {
      lower: true,
      unit: "peak RSS",
      value: (m) => m.peak_rss_mb,
      label: (m) => `${m.peak_rss_mb.toFixed(0)} MB`,
    };
  }
  const rss = w === "W2" || w === "W5";
  return {
    lower: false,
    unit: "per second",
    value: (m) => m.rate,
    label: (m) =>
      `${fmtRate(m.rate).replace("/s", "")}${m.lowered ? "ⁿ" : ""}${rss ? ` · ${m.peak_rss_mb.toFixed(0)} MB` : ""}`,
  };
}

function styleOf(m) {
  if (m.impl === "asyncio_ts") return STYLE.ours;
  if (m.impl.startsWith("asyncio_ts")) return STYLE.ours_alt;
  return STYLE[m.group] ?? STYLE.js;
}

function panel(x, y, w, rows, opts) {
  const { workloads, fmtRate } = opts;
  const [name, , reported] = workloads[w];
  const mt = metric(w, fmtRate);
  const good = rows.filter((m) => !m.failed && !m.na && Number.isFinite(mt.value(m)));
  const values = good.map(mt.value);
  // Lower-is-better panels clip outliers at 5× the best value so the small bars stay readable.
  const best = mt.lower ? Math.min(...values) : Math.max(...values);
  const axisMax = mt.lower
    ? Math.min(Math.max(...values), Math.max(best, 1) * 5)
    : Math.max(...values);
  const out = [];
  out.push(`<g transform="translate(${x},${y})">`);
  out.push(
    `<text x="0" y="14" font-size="13" font-weight="600" fill="#111827">${esc(`${w} ${name}`)}</text>`,
  );
  const ours = good.find((m) => m.impl === "asyncio_ts");
  // The faster CPython (3.11 or 3.13), as the targets use: by rate, or by memory for M.
  const pys = good.filter((m) => m.group === "python");
  const py =
    pys.length === 0
      ? undefined
      : pys.reduce((a, b) =>
          (w === "M" ? b.peak_rss_mb < a.peak_rss_mb : b.rate > a.rate) ? b : a,
        );
  let sub = `${mt.unit}, ${mt.lower ? "lower" : "higher"} is better`;
  if (ours && py && !mt.lower)
    sub += ` · asyncio-ts = ${(ours.rate / py.rate).toFixed(1)}× CPython`;
  if (ours && py && w === "M")
    sub += ` · asyncio-ts = ${(ours.peak_rss_mb / py.peak_rss_mb).toFixed(1)}× CPython's`;
  out.push(`<text x="0" y="29" font-size="10.5" fill="#6b7280">${esc(sub)}</text>`);
  out.push(`<title>${esc(`${w}: ${reported}`)}</title>`);
  rows.forEach((m, i) => {
    const ry = HEAD_H + i * ROW_H;
    const bold = m.impl === "asyncio_ts" ? ` font-weight="600"` : "";
    out.push(
      `<text x="${LABEL_W - 6}" y="${ry + 11}" font-size="10.5" text-anchor="end" fill="#374151"${bold}>${esc(m.impl)}</text>`,
    );
    if (m.failed || m.na) {
      const color = m.failed ? "#dc2626" : "#9ca3af";
      const text = m.failed ? "FAILED (self-check or crash)" : "n/a (not implemented)";
      out.push(
        `<text x="${LABEL_W + 2}" y="${ry + 11}" font-size="10.5" font-style="italic" fill="${color}">${text}</text>`,
      );
      return;
    }
    const v = mt.value(m);
    const clipped = v > axisMax;
    const len = Math.max(1.5, (Math.min(v, axisMax) / axisMax) * BAR_W);
    const st = styleOf(m);
    const stroke =
      st.stroke === "none" ? "" : ` stroke="${st.stroke}" stroke-width="1" stroke-dasharray="3 2"`;
    out.push(
      `<rect x="${LABEL_W}" y="${ry + 2}" width="${len.toFixed(1)}" height="${ROW_H - 5}" rx="1.5" fill="${st.fill}"${stroke}/>`,
    );
    if (clipped) {
      const bx = LABEL_W + len;
      out.push(
        `<path d="M${bx - 9},${ry + 1} l4,${ROW_H - 3} M${bx - 5},${ry + 1} l4,${ROW_H - 3}" stroke="#ffffff" stroke-width="2"/>`,
      );
    }
    const label = `${mt.label(m)}${clipped ? " ▸" : ""}`;
    out.push(
      `<text x="${LABEL_W + len + 4}" y="${ry + 11}" font-size="10.5" fill="#111827"${bold}>${esc(label)}</text>`,
    );
  });
  out.push("</g>");
  return out.join("\n");
}

/** Line styles of the depth chart, by implementation. */
const LINE = {
  asyncio_ts: { color: "#1d4ed8", width: 2.5, dash: "" },
  asyncio_ts_coro: { color: "#60a5fa", width: 2.5, dash: "" },
  py_asyncio: { color: "#f59e0b", width: 2, dash: "" },
  js_raw: { color: "#6b7280", width: 1.5, dash: "" },
  js_raw_micro: { color: "#b6bcc6", width: 1.5, dash: "" },
  effection_imm: { color: "#6b7280", width: 1.5, dash: "5 3" },
  effect: { color: "#6b7280", width: 1.5, dash: "1.5 2.5" },
  L_ystar: { color: "#374151", width: 1, dash: "3 2" },
};

/**
 * The D workloads as one log–log chart: resumes/s against the depth of the await chain.
 * A flat line is O(1) per resume; a line falling by a decade per decade is O(depth).
 */
function depthPanel(x, y, w, depthWs, medians, order, opts) {
  const depths = depthWs.map((d) => Number(d.slice(1)));
  const series = order
    .map((impl) => ({
      impl,
      points: depthWs
        .map((d, i) => [depths[i], medians.find((m) => m.impl === impl && m.workload === d)])
        .filter(([, m]) => m && !m.failed && !m.na)
        .map(([d, m]) => [d, m.rate]),
    }))
    .filter((s) => s.points.length > 0);
  const failed = medians.filter((m) => depthWs.includes(m.workload) && (m.failed || m.na));
  const all = series.flatMap((s) => s.points.map(([, r]) => r));
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const plotX = 70;
  const plotW = w - plotX - 190;
  const plotY = HEAD_H + 6;
  const plotH = 230;
  const minD = Math.min(...depths);
  const maxD = Math.max(...depths);
  const px = (d) =>
    plotX + (maxD === minD ? 0 : (Math.log10(d / minD) / Math.log10(maxD / minD)) * plotW);
  const py = (r) => plotY + plotH - (Math.log10(r / lo) / Math.log10(hi / lo)) * plotH;
  const out = [`<g transform="translate(${x},${y})">`];
  out.push(
    `<text x="0" y="14" font-size="13" font-weight="600" fill="#111827">D1–D1000: resuming at the bottom of an await chain</text>`,
  );
  out.push(
    `<text x="0" y="29" font-size="10.5" fill="#6b7280">${esc("resumes per second against chain depth (log–log), higher is better · flat = O(1) per resume, falling = O(depth)")}</text>`,
  );
  for (let v = lo; v <= hi * 1.0001; v *= 10) {
    const yy = py(v).toFixed(1);
    out.push(`<line x1="${plotX}" x2="${plotX + plotW}" y1="${yy}" y2="${yy}" stroke="#e5e7eb"/>`);
    out.push(
      `<text x="${plotX - 6}" y="${(py(v) + 3.5).toFixed(1)}" font-size="10" text-anchor="end" fill="#6b7280">${esc(opts.fmtRate(v))}</text>`,
    );
  }
  for (const d of depths) {
    const xx = px(d).toFixed(1);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${plotY}" y2="${plotY + plotH}" stroke="#e5e7eb"/>`);
    out.push(
      `<text x="${xx}" y="${plotY + plotH + 14}" font-size="10" text-anchor="middle" fill="#6b7280">depth ${d}</text>`,
    );
  }
  // End labels, pushed apart so that none overlap.
  const labels = series
    .map((s) => {
      const [d, r] = s.points[s.points.length - 1];
      return { impl: s.impl, x: px(d), y: py(r), r };
    })
    .sort((a, b) => a.y - b.y);
  for (let i = 1; i < labels.length; i++) {
    labels[i].y = Math.max(labels[i].y, labels[i - 1].y + 12);
  }
  for (const s of series) {
    const st = LINE[s.impl] ?? LINE.js_raw;
    const pts = s.points.map(([d, r]) => `${px(d).toFixed(1)},${py(r).toFixed(1)}`).join(" ");
    const dash = st.dash ? ` stroke-dasharray="${st.dash}"` : "";
    out.push(
      `<polyline points="${pts}" fill="none" stroke="${st.color}" stroke-width="${st.width}"${dash}/>`,
    );
    for (const [d, r] of s.points) {
      out.push(
        `<circle cx="${px(d).toFixed(1)}" cy="${py(r).toFixed(1)}" r="2.5" fill="${st.color}"/>`,
      );
    }
  }
  for (const l of labels) {
    const st = LINE[l.impl] ?? LINE.js_raw;
    const bold = l.impl.startsWith("asyncio_ts") ? ` font-weight="600"` : "";
    out.push(
      `<text x="${(l.x + 8).toFixed(1)}" y="${(l.y + 3.5).toFixed(1)}" font-size="10.5" fill="${st.color === "#b6bcc6" ? "#6b7280" : st.color}"${bold}>${esc(`${l.impl} ${opts.fmtRate(l.r)}`)}</text>`,
    );
  }
  failed.forEach((m, i) => {
    out.push(
      `<text x="${plotX + 8}" y="${plotY + 14 + i * 13}" font-size="10.5" font-style="italic" fill="${m.failed ? "#dc2626" : "#9ca3af"}">${esc(`${m.impl} ${m.workload}: ${m.failed ? "FAILED" : "n/a (not implemented)"}`)}</text>`,
    );
  });
  out.push("</g>");
  return [out.join("\n"), plotY + plotH + 34];
}

/** The workloads the history view follows, and their colours. */
const HISTORY_WS = [
  ["W1", "#1d4ed8"],
  ["W2", "#0891b2"],
  ["W3", "#059669"],
  ["W5", "#d97706"],
  ["W6", "#7c3aed"],
  ["W7", "#db2777"],
];
/** Runs the history view shows, the most recent last. */
const HISTORY_RUNS = 30;

/**
 * The history view: for each workload, asyncio-ts's rate as a multiple of the faster
 * CPython's in the same run, over the last runs recorded in bench/history.jsonl (one point
 * per full run, labelled with its commit). A ratio from one run moves far less with the
 * machine's load than a rate, so a step down marks the commit that caused it.
 */
function historyPanel(x, y, w, history) {
  const runs = history.slice(-HISTORY_RUNS);
  const ratio = (run, wl) => {
    const ours = run.medians[`asyncio_ts ${wl}`]?.rate;
    const pys = ["py_asyncio", "py_asyncio_313"]
      .map((i) => run.medians[`${i} ${wl}`]?.rate)
      .filter((r) => typeof r === "number");
    return typeof ours === "number" && pys.length > 0 ? ours / Math.max(...pys) : undefined;
  };
  const series = HISTORY_WS.map(([wl, color]) => ({
    wl,
    color,
    points: runs.map((r, i) => [i, ratio(r, wl)]).filter(([, v]) => v !== undefined),
  })).filter((s) => s.points.length > 0);
  const plotX = x + 46;
  const plotY = y + 34;
  const plotW = w - 46 - 90;
  const plotH = 120;
  const max = Math.max(1, ...series.flatMap((s) => s.points.map(([, v]) => v)));
  const top = 10 ** Math.ceil(Math.log10(max));
  const px = (i) => plotX + (runs.length === 1 ? plotW / 2 : (i / (runs.length - 1)) * plotW);
  // Log scale: 1× (CPython) at the bottom.
  const py = (v) => plotY + plotH - (Math.log10(Math.max(v, 1)) / Math.log10(top)) * plotH;
  const out = [`<g>`];
  out.push(
    `<text x="${x}" y="${y + 16}" font-size="13" font-weight="600" fill="#111827">${esc(`History: asyncio-ts as a multiple of the faster CPython, the last ${runs.length} full run${runs.length > 1 ? "s" : ""} (bench/history.jsonl)`)}</text>`,
  );
  for (let v = 1; v <= top; v *= 10) {
    out.push(
      `<line x1="${plotX}" x2="${plotX + plotW}" y1="${py(v).toFixed(1)}" y2="${py(v).toFixed(1)}" stroke="#e5e7eb"/>`,
      `<text x="${plotX - 6}" y="${(py(v) + 3.5).toFixed(1)}" font-size="10" text-anchor="end" fill="#6b7280">${v}×</text>`,
    );
  }
  runs.forEach((r, i) => {
    if (runs.length <= 12 || i % Math.ceil(runs.length / 12) === 0 || i === runs.length - 1)
      out.push(
        `<text x="${px(i).toFixed(1)}" y="${plotY + plotH + 14}" font-size="9" text-anchor="middle" fill="#6b7280">${esc(`${r.commit} ${String(r.date).slice(5, 10)}`)}</text>`,
      );
  });
  series.forEach((s, k) => {
    const pts = s.points.map(([i, v]) => `${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(" ");
    out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`);
    for (const [i, v] of s.points)
      out.push(
        `<circle cx="${px(i).toFixed(1)}" cy="${py(v).toFixed(1)}" r="2.2" fill="${s.color}"/>`,
      );
    const last = s.points[s.points.length - 1][1];
    out.push(
      `<text x="${plotX + plotW + 10}" y="${plotY + 10 + k * 13}" font-size="10.5" fill="${s.color}">${esc(`${s.wl} ${last.toFixed(1)}×`)}</text>`,
    );
  });
  out.push("</g>");
  return [out.join("\n"), plotH + 34 + 30];
}

/** The whole SVG for a run (`data` as written to bench/results/latest.json). */
export function renderChart(data, opts) {
  const { impls, workloads } = opts;
  const order = impls.map((i) => i.id);
  const present = (w) => data.medians.some((m) => m.workload === w);
  const depthWs = Object.keys(workloads).filter((w) => /^D\d+$/.test(w) && present(w));
  const ws = Object.keys(workloads).filter((w) => present(w) && !depthWs.includes(w));
  const panels = ws.map((w) =>
    data.medians
      .filter((m) => m.workload === w)
      .sort((a, b) => order.indexOf(a.impl) - order.indexOf(b.impl)),
  );
  const body = [];
  const top = 78;
  let y = top;
  for (let r = 0; r < ws.length; r += COLS) {
    const rowPanels = panels.slice(r, r + COLS);
    const h = HEAD_H + Math.max(...rowPanels.map((p) => p.length)) * ROW_H + 18;
    rowPanels.forEach((rows, c) => {
      body.push(panel(GAP + c * (PANEL_W + GAP), y, ws[r + c], rows, opts));
    });
    y += h;
  }
  if (depthWs.length > 0) {
    const [svg, h] = depthPanel(GAP, y, W - 2 * GAP, depthWs, data.medians, order, opts);
    body.push(svg);
    y += h;
  }
  if (opts.history && opts.history.length > 0) {
    const [svg, h] = historyPanel(GAP, y, W - 2 * GAP, opts.history);
    body.push(svg);
    y += h;
  }
  const height = y + 24;
  const env = data.env;
  const legend = [
    ["asyncio-ts", STYLE.ours],
    ["asyncio-ts, coroutine()-marked", STYLE.ours_alt],
    ["CPython asyncio", STYLE.python],
    ["JS peer (returns to Node's loop)", STYLE.js],
    ["JS, microtasks only", STYLE.micro],
    ["bare trampoline (limit)", STYLE.limit],
  ];
  let lx = GAP;
  const legendSvg = legend
    .map(([text, st]) => {
      const stroke = st.stroke === "none" ? "" : ` stroke="${st.stroke}" stroke-dasharray="3 2"`;
      const s = `<rect x="${lx}" y="50" width="12" height="10" rx="1.5" fill="${st.fill}"${stroke}/><text x="${lx + 16}" y="59" font-size="11" fill="#374151">${esc(text)}</text>`;
      lx += 16 + text.length * 5.9 + 18;
      return s;
    })
    .join("\n");
  const title = `asyncio-ts against CPython asyncio and JavaScript peers — one run, one machine`;
  const meta = `${data.date.slice(0, 10)} · ${env.cpu}, ${env.cores} cores · Node ${env.node} · CPython ${env.python} · median of ${data.reps} fresh process${data.reps > 1 ? "es" : ""} each${data.quick ? " · QUICK MODE (small n)" : ""}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="${FONT}">
<rect width="${W}" height="${height}" fill="#ffffff"/>
<text x="${GAP}" y="24" font-size="17" font-weight="700" fill="#111827">${esc(title)}</text>
<text x="${GAP}" y="41" font-size="11" fill="#6b7280">${esc(meta)}</text>
${legendSvg}
${body.join("\n")}
<text x="${GAP}" y="${height - 10}" font-size="10" fill="#9ca3af">${esc("Bars share a linear scale within a panel; ▸ marks a bar clipped at 5× the best value. ⁿ: n lowered for that peer (see docs/benchmarks.md). Drawn by bench/chart.mjs.")}</text>
</svg>
`;
}
