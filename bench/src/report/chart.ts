import { Resvg } from '@resvg/resvg-js';
import type { BenchResults } from '../results.js';

interface Bar {
  label: string;
  value: number;
  color: string;
}

interface BarPanel {
  kind: 'bars';
  title: string;
  unit: string;
  groups: Array<{ label: string; bars: Bar[] }>;
  target?: { value: number; label: string };
}

interface Series {
  label: string;
  color: string;
  points: Array<{ x: number; y: number }>;
  dashed?: boolean;
}

/** Lines on linear axes from zero, each point marked and labelled with its value. */
interface LinePanel {
  kind: 'lines';
  title: string;
  xLabel: string;
  unit: string;
  series: Series[];
  /** Single points drawn as a diamond (the two-process run). */
  markers: Array<{ label: string; color: string; x: number; y: number }>;
}

type Panel = BarPanel | LinePanel;

const OURS = '#1f77b4';
const REF = '#9aa5b1';
const PY = '#d98c3f';
const P50 = '#6baed6';
const P9X = '#08519c';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const short = (v: number) =>
  !Number.isFinite(v)
    ? 'n/a'
    : v >= 1000
      ? `${(v / 1000).toFixed(1)}k`
      : v >= 100
        ? v.toFixed(0)
        : v.toFixed(1);

/** Latency → line colour of the throughput plot. */
const LATENCY_COLORS = ['#2ca02c', '#1f77b4', '#9467bd', '#8c564b'];

function linePanel(p: LinePanel, x: number, y: number, w: number, h: number): string {
  const top = y + 40;
  const bottom = y + h - 60;
  const left = x + 55;
  const right = x + w - 20;
  const xs = [...p.series.flatMap((s) => s.points.map((pt) => pt.x)), ...p.markers.map((m) => m.x)];
  const ys = [...p.series.flatMap((s) => s.points.map((pt) => pt.y)), ...p.markers.map((m) => m.y)].filter(
    Number.isFinite,
  );
  const maxX = Math.max(...xs, 1) * 1.08;
  const maxY = Math.max(...ys, 1) * 1.15;
  const sx = (v: number) => left + (v / maxX) * (right - left);
  const sy = (v: number) => bottom - (Math.max(0, v) / maxY) * (bottom - top);
  const parts = [
    `<text x="${x + w / 2}" y="${y + 22}" text-anchor="middle" font-size="16" font-weight="bold">${esc(p.title)}</text>`,
    `<text x="${x + 8}" y="${top - 8}" font-size="11" fill="#555">${esc(p.unit)}</text>`,
    `<text x="${(left + right) / 2}" y="${bottom + 34}" text-anchor="middle" font-size="11" fill="#555">${esc(p.xLabel)}</text>`,
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (maxY / 1.15) * (i / 4);
    parts.push(
      `<line x1="${left}" y1="${sy(v)}" x2="${right}" y2="${sy(v)}" stroke="#e3e3e3"/>`,
      `<text x="${left - 6}" y="${sy(v) + 4}" text-anchor="end" font-size="11" fill="#555">${short(v)}</text>`,
    );
  }
  for (const v of [...new Set(xs)].sort((a, b) => a - b))
    parts.push(
      `<text x="${sx(v)}" y="${bottom + 16}" text-anchor="middle" font-size="11" fill="#333">${v.toFixed(0)}</text>`,
    );
  p.series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    parts.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${pts.map((pt) => `${sx(pt.x)},${sy(pt.y)}`).join(' ')}"/>`,
    );
    // Values of every other measured line go below their points, so two lines that meet stay legible.
    const below = p.series.slice(0, i).filter((o) => !o.dashed).length % 2 === 1;
    if (!s.dashed)
      for (const pt of pts)
        parts.push(
          `<circle cx="${sx(pt.x)}" cy="${sy(pt.y)}" r="4" fill="${s.color}"/>`,
          `<text x="${sx(pt.x)}" y="${sy(pt.y) + (below ? 18 : -8)}" text-anchor="middle" font-size="11" fill="${s.color}">${short(pt.y)}</text>`,
        );
    const ly = top + 4 + i * 16;
    parts.push(
      `<line x1="${left + 12}" y1="${ly}" x2="${left + 36}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${left + 42}" y="${ly + 4}" font-size="11">${esc(s.label)}</text>`,
    );
  });
  p.markers.forEach((m, i) => {
    const mx = sx(m.x);
    const my = sy(m.y);
    parts.push(
      `<polygon points="${mx},${my - 7} ${mx + 7},${my} ${mx},${my + 7} ${mx - 7},${my}" fill="${m.color}"/>`,
      `<text x="${mx + 10}" y="${my + 4}" font-size="11">${short(m.y)}</text>`,
    );
    const ly = top + 4 + (p.series.length + i) * 16;
    parts.push(
      `<polygon points="${left + 24},${ly - 6} ${left + 30},${ly} ${left + 24},${ly + 6} ${left + 18},${ly}" fill="${m.color}"/>`,
      `<text x="${left + 42}" y="${ly + 4}" font-size="11">${esc(m.label)}</text>`,
    );
  });
  return parts.join('\n');
}

function panel(p: Panel, x: number, y: number, w: number, h: number): string {
  return p.kind === 'lines' ? linePanel(p, x, y, w, h) : barPanel(p, x, y, w, h);
}

/** One bar panel: groups of bars on a shared linear axis starting at zero, optional target line. */
function barPanel(p: BarPanel, x: number, y: number, w: number, h: number): string {
  const top = y + 40;
  const bottom = y + h - 50;
  const left = x + 50;
  const right = x + w - 15;
  const values = p.groups.flatMap((g) => g.bars.map((b) => b.value)).filter(Number.isFinite);
  const max = Math.max(...values, p.target?.value ?? 0, 1) * 1.15;
  const scale = (v: number) => bottom - (Math.max(0, v) / max) * (bottom - top);
  const parts = [
    `<text x="${x + w / 2}" y="${y + 22}" text-anchor="middle" font-size="16" font-weight="bold">${esc(p.title)}</text>`,
    `<text x="${x + 8}" y="${top - 8}" font-size="11" fill="#555">${esc(p.unit)}</text>`,
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (max / 1.15) * (i / 4);
    parts.push(
      `<line x1="${left}" y1="${scale(v)}" x2="${right}" y2="${scale(v)}" stroke="#e3e3e3"/>`,
      `<text x="${left - 6}" y="${scale(v) + 4}" text-anchor="end" font-size="11" fill="#555">${short(v)}</text>`,
    );
  }
  const slot = (right - left) / Math.max(1, p.groups.length);
  p.groups.forEach((g, gi) => {
    const barW = Math.min(60, (slot * 0.8) / Math.max(1, g.bars.length));
    const start = left + gi * slot + (slot - barW * g.bars.length) / 2;
    g.bars.forEach((b, bi) => {
      const bx = start + bi * barW;
      const by = scale(b.value);
      parts.push(
        `<rect x="${bx + 2}" y="${by}" width="${barW - 4}" height="${bottom - by}" fill="${b.color}"/>`,
        `<text x="${bx + barW / 2}" y="${by - 4}" text-anchor="middle" font-size="11">${short(b.value)}</text>`,
        `<text x="${bx + barW / 2}" y="${bottom + 14}" text-anchor="middle" font-size="10" fill="#333">${esc(b.label)}</text>`,
      );
    });
    parts.push(
      `<text x="${left + gi * slot + slot / 2}" y="${bottom + 32}" text-anchor="middle" font-size="11" font-weight="bold">${esc(g.label)}</text>`,
    );
  });
  if (p.target) {
    const ty = scale(p.target.value);
    parts.push(
      `<line x1="${left}" y1="${ty}" x2="${right}" y2="${ty}" stroke="#c0392b" stroke-dasharray="6 4"/>`,
      `<text x="${right}" y="${ty - 4}" text-anchor="end" font-size="11" fill="#c0392b">${esc(p.target.label)}</text>`,
    );
  }
  return parts.join('\n');
}

function panels(r: BenchResults): Panel[] {
  const { intake, concurrency, endToEnd, retrieval, retrievalAtScale } = r.scenarios;
  const out: Panel[] = [];
  if (intake) {
    const handlers = [
      { label: 'our API', l: intake.ours, color: OURS },
      { label: 'minimal ref.', l: intake.reference, color: REF },
      { label: 'ref. + guarantees', l: intake.guaranteed, color: REF },
      ...('skipped' in intake.fastapi ? [] : [{ label: 'FastAPI+Celery', l: intake.fastapi, color: PY }]),
    ];
    out.push({
      kind: 'bars',
      title: `Webhook intake throughput (${intake.connections} connections)`,
      unit: 'requests/s',
      groups: handlers.map((h) => ({
        label: h.label,
        bars: [{ label: 'req/s', value: h.l.requestsPerSecond, color: h.color }],
      })),
      target: {
        value: 0.9 * intake.guaranteed.requestsPerSecond,
        label: 'target ≥ 0.9 × ref. + guarantees (ours)',
      },
    });
    out.push({
      kind: 'bars',
      title: 'Webhook intake latency',
      unit: 'ms',
      groups: handlers.map((h) => ({
        label: h.label,
        bars: [
          { label: 'p50', value: h.l.p50Ms, color: P50 },
          { label: 'p99', value: h.l.p99Ms, color: P9X },
        ],
      })),
      target: { value: 15, label: 'target p99 ≤ 15 ms (ours)' },
    });
  }
  if (concurrency && concurrency.levels.length > 0) {
    // One line per LLM latency through the one-process runs, its ideal (slots ÷ latency) dashed;
    // the two-process run as a point at its total slots.
    const latencies = [...new Set(concurrency.levels.map((l) => l.llmLatencyMs))].sort((a, b) => a - b);
    const series: Series[] = [];
    const markers: LinePanel['markers'] = [];
    latencies.forEach((latency, i) => {
      const color = LATENCY_COLORS[i % LATENCY_COLORS.length] as string;
      const single = concurrency.levels.filter((l) => l.llmLatencyMs === latency && l.workers === 1);
      const name = latency >= 1000 ? `${latency / 1000} s` : `${latency} ms`;
      if (single.length > 0) {
        series.push({
          label: `LLM ${name}, one worker`,
          color,
          points: single.map((l) => ({ x: l.concurrency, y: l.measuredPerSecond })),
        });
        series.push({
          label: `ideal at ${name}`,
          color,
          dashed: true,
          points: single.map((l) => ({ x: l.concurrency, y: l.idealPerSecond })),
        });
      }
      for (const l of concurrency.levels.filter((c) => c.llmLatencyMs === latency && c.workers > 1))
        markers.push({
          label: `LLM ${name}, ${l.workers} workers × ${l.concurrency}`,
          color,
          x: l.concurrency * l.workers,
          y: l.measuredPerSecond,
        });
    });
    out.push({
      kind: 'lines',
      title: 'Worker throughput against concurrency',
      xLabel: 'concurrency (slots in all worker processes)',
      unit: 'enhancements/s',
      series,
      markers,
    });
  }
  if (endToEnd || retrieval || retrievalAtScale) {
    const groups: BarPanel['groups'] = [];
    if (endToEnd)
      groups.push({
        label: `end-to-end overhead (p95 ≤ 50)`,
        bars: [
          { label: 'p50', value: endToEnd.overheadP50Ms, color: P50 },
          { label: 'p95', value: endToEnd.overheadP95Ms, color: P9X },
        ],
      });
    if (retrieval)
      groups.push({
        label: `retrieval ${Math.round(retrieval.historyTickets / 1000)}k, 1 tenant (p95 ≤ 25)`,
        bars: [
          { label: 'p50', value: retrieval.p50Ms, color: P50 },
          { label: 'p95', value: retrieval.p95Ms, color: P9X },
        ],
      });
    if (retrievalAtScale)
      groups.push({
        label: `${Math.round(retrievalAtScale.historyTickets / 1000)}k, ${retrievalAtScale.tenants} tenants (p95 ≤ 40)`,
        bars: [
          { label: 'p50', value: retrievalAtScale.p50Ms, color: P50 },
          { label: 'p95', value: retrievalAtScale.p95Ms, color: P9X },
        ],
      });
    out.push({ kind: 'bars', title: 'Latency percentiles', unit: 'ms', groups });
  }
  return out;
}

/** The chart as SVG: up to four panels in a 2 × 2 grid with a title line. */
export function chartSvg(r: BenchResults): string {
  const width = 1400;
  const panelW = width / 2;
  const panelH = 380;
  const list = panels(r);
  const height = 60 + Math.ceil(list.length / 2) * panelH;
  const body = list.map((p, i) =>
    panel(p, (i % 2) * panelW, 50 + Math.floor(i / 2) * panelH, panelW, panelH),
  );
  const passed = r.targets.filter((t) => t.pass === true).length;
  const checked = r.targets.filter((t) => t.pass !== null).length + r.failures.length;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, sans-serif">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="20" y="30" font-size="20" font-weight="bold">npm run bench (${r.mode}) · ${esc(r.startedAt.slice(0, 16).replace('T', ' '))} UTC · ${passed}/${checked} targets met · ${r.machine.cpus} cores</text>
${body.join('\n')}
</svg>`;
}

/**
 * Renders the SVG to PNG with resvg (a Rust renderer shipped as a prebuilt npm binary): no browser
 * and no native build step. Text uses the machine's fonts (DejaVu on Debian).
 */
export function chartPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    background: '#ffffff',
  });
  return resvg.render().asPng();
}
