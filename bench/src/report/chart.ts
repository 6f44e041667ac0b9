import { Resvg } from '@resvg/resvg-js';
import type { BenchResults } from '../results.js';

interface Bar {
  label: string;
  value: number;
  color: string;
}

interface Panel {
  title: string;
  unit: string;
  groups: Array<{ label: string; bars: Bar[] }>;
  target?: { value: number; label: string };
}

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

/** One bar panel: groups of bars on a shared linear axis starting at zero, optional target line. */
function panel(p: Panel, x: number, y: number, w: number, h: number): string {
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
  const { intake, workerPipeline, concurrency, endToEnd, retrieval } = r.scenarios;
  const out: Panel[] = [];
  if (intake) {
    const handlers = [
      { label: 'our API', l: intake.ours, color: OURS },
      { label: 'minimal ref.', l: intake.reference, color: REF },
      { label: 'ref. + guarantees', l: intake.guaranteed, color: REF },
      ...('skipped' in intake.fastapi ? [] : [{ label: 'FastAPI+Celery', l: intake.fastapi, color: PY }]),
    ];
    out.push({
      title: `Webhook intake throughput (${intake.connections} connections)`,
      unit: 'requests/s',
      groups: handlers.map((h) => ({
        label: h.label,
        bars: [{ label: 'req/s', value: h.l.requestsPerSecond, color: h.color }],
      })),
    });
    out.push({
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
  if (workerPipeline || concurrency) {
    const groups: Panel['groups'] = [];
    if (workerPipeline)
      // The no-op ceiling is an order of magnitude above the rest; it is named, not drawn, so the
      // bars that matter stay readable.
      groups.push({
        label: `instant (no-op ${short(workerPipeline.noopCeilingPerSecond)}/s)`,
        bars: [
          { label: 'ours', value: workerPipeline.enhancementsPerSecond, color: OURS },
          { label: 'target', value: 300, color: REF },
        ],
      });
    for (const l of concurrency?.levels ?? [])
      groups.push({
        label: `c=${l.concurrency}, LLM ${concurrency?.llmLatencyMs} ms`,
        bars: [
          { label: 'ours', value: l.measuredPerSecond, color: OURS },
          { label: 'ideal', value: l.idealPerSecond, color: REF },
        ],
      });
    out.push({ title: 'Worker throughput (one process)', unit: 'enhancements/s', groups });
  }
  if (endToEnd || retrieval) {
    const groups: Panel['groups'] = [];
    if (endToEnd)
      groups.push({
        label: `end-to-end overhead (target p95 ≤ 50)`,
        bars: [
          { label: 'p50', value: endToEnd.overheadP50Ms, color: P50 },
          { label: 'p95', value: endToEnd.overheadP95Ms, color: P9X },
        ],
      });
    if (retrieval)
      groups.push({
        label: `retrieval, ${Math.round(retrieval.historyTickets / 1000)}k tickets (target p95 ≤ 25)`,
        bars: [
          { label: 'p50', value: retrieval.p50Ms, color: P50 },
          { label: 'p95', value: retrieval.p95Ms, color: P9X },
        ],
      });
    out.push({ title: 'Latency percentiles', unit: 'ms', groups });
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
