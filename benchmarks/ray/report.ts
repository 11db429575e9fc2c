// bench:ray's output: one row per measure with both sides and the de2/Ray ratio, as a
// markdown table, JSON, and an SVG chart of how far each row is ahead or behind.

export interface Row {
  readonly section: string;
  readonly name: string;
  readonly unit: string;
  readonly de2: number;
  readonly ray: number;
  /** 'lower' for times and memory, 'higher' for rates; 'none' for rows shown for context. */
  readonly better: 'lower' | 'higher' | 'none';
  /** The issue's target for the de2/Ray ratio (at most for 'lower', at least for 'higher'). */
  readonly target?: number;
  /** Shown instead of the ratio test (accuracy: difference in points). */
  readonly verdict?: { text: string; met: boolean };
}

export const ratio = (r: Row): number => r.de2 / r.ray;

export function met(r: Row): boolean | undefined {
  if (r.verdict) return r.verdict.met;
  if (r.target === undefined) return undefined;
  return r.better === 'lower' ? ratio(r) <= r.target : ratio(r) >= r.target;
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a >= 0.01) return x.toFixed(3);
  return x.toPrecision(2);
}

function targetText(r: Row): string {
  if (r.verdict) return `${r.verdict.text} (${r.verdict.met ? 'met' : '**missed**'})`;
  if (r.target === undefined) return '';
  const ok = met(r);
  return `${r.better === 'lower' ? '<=' : '>='} ${r.target}x (${ok ? 'met' : '**missed**'})`;
}

export function markdownTable(rows: readonly Row[]): string {
  const out = [
    '| section | measure | unit | de2 | Ray | de2/Ray | target |',
    '|---|---|---|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.section} | ${r.name} | ${r.unit} | ${fmt(r.de2)} | ${fmt(r.ray)} | ${fmt(ratio(r))}x | ${targetText(r)} |`,
    );
  }
  return out.join('\n');
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Horizontal bars on a log scale: how many times better de2 is than Ray in each row (its
 * rate over Ray's, or Ray's time or memory over its own), so that right of 1x is de2 ahead.
 * Green: target met; red: missed; grey: no target.
 */
export function advantageChart(title: string, rows: readonly Row[]): string {
  const bars = rows.filter((r) => r.better !== 'none' && Number.isFinite(ratio(r)) && ratio(r) > 0);
  const W = 880;
  const rowH = 22;
  const M = { left: 400, right: 70, top: 50, bottom: 50 };
  const H = M.top + M.bottom + rowH * bars.length;
  const lo = -2; // log10 range 0.01x .. 10,000x
  const hi = 4;
  const pw = W - M.left - M.right;
  const px = (adv: number) => M.left + ((Math.min(hi, Math.max(lo, Math.log10(adv))) - lo) / (hi - lo)) * pw;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  for (let e = lo; e <= hi; e++) {
    const x = px(10 ** e);
    out.push(
      `<line x1="${x}" y1="${M.top - 6}" x2="${x}" y2="${H - M.bottom}" stroke="${e === 0 ? 'black' : '#e5e5e5'}"/>`,
    );
    out.push(`<text x="${x}" y="${H - M.bottom + 16}" text-anchor="middle">${10 ** e}x</text>`);
  }
  out.push(
    `<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">de2's advantage over Ray (rate ratio, or Ray's time / de2's time), log scale; right of 1x: de2 ahead</text>`,
  );
  bars.forEach((r, i) => {
    const y = M.top + i * rowH;
    const adv = r.better === 'higher' ? ratio(r) : 1 / ratio(r);
    const ok = met(r);
    const color = ok === undefined ? '#9e9e9e' : ok ? '#4caf50' : '#e53935';
    const x0 = px(1);
    const x1 = px(adv);
    out.push(
      `<text x="${M.left - 8}" y="${y + 15}" text-anchor="end">${esc(`${r.section}: ${r.name}`.slice(0, 64))}</text>`,
      `<rect x="${Math.min(x0, x1)}" y="${y + 4}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${rowH - 8}" fill="${color}"/>`,
      `<text x="${Math.max(x0, x1) + 4}" y="${y + 15}">${esc(fmt(adv))}x</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
