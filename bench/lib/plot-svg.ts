/** A small SVG line chart (no dependencies, no network): one polyline with markers per series, a legend, axes with ticks. */

export interface LineChart {
  title: string
  xLabel: string
  yLabel: string
  xs: number[]
  series: { name: string; ys: number[] }[]
  yMin?: number
  yMax?: number
  /** Logarithmic x axis (store sizes). */
  logX?: boolean
  /** Logarithmic y axis. */
  logY?: boolean
  /** Formats tick labels. */
  formatY?: (y: number) => string
  formatX?: (x: number) => string
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f']
const W = 720
const H = 440
const M = { left: 70, right: 200, top: 40, bottom: 56 }

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const n = (x: number) => Number(x.toFixed(2))

/** Evenly spaced "nice" ticks between lo and hi. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo]
  const raw = (hi - lo) / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  const out: number[] = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)))
  return out
}

export function lineChart(c: LineChart): string {
  if (c.series.some((s) => s.ys.length !== c.xs.length)) throw new Error('lineChart: every series needs one y per x')
  const all = c.series.flatMap((s) => s.ys).filter((y) => Number.isFinite(y))
  const tx = (x: number) => (c.logX ? Math.log10(x) : x)
  const ty = (y: number) => (c.logY ? Math.log10(y) : y)
  const x0 = Math.min(...c.xs.map(tx))
  const x1 = Math.max(...c.xs.map(tx))
  const y0 = c.yMin !== undefined ? ty(c.yMin) : Math.min(...all.map(ty))
  const y1 = c.yMax !== undefined ? ty(c.yMax) : Math.max(...all.map(ty))
  const pw = W - M.left - M.right
  const ph = H - M.top - M.bottom
  const px = (x: number) => M.left + ((tx(x) - x0) / (x1 - x0 || 1)) * pw
  const py = (y: number) => M.top + ph - ((ty(y) - y0) / (y1 - y0 || 1)) * ph
  const fy = c.formatY ?? ((y: number) => String(Number(y.toPrecision(3))))
  const fx = c.formatX ?? ((x: number) => String(x))
  const yTicks = c.logY
    ? Array.from({ length: Math.floor(y1) - Math.ceil(y0) + 1 }, (_, i) => 10 ** (Math.ceil(y0) + i))
    : niceTicks(y0, y1)
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2 - M.right / 2 + M.left / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${esc(c.title)}</text>`,
  ]
  for (const y of yTicks) {
    const yy = n(py(y))
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${yy}" y2="${yy}" stroke="#e5e5e5"/>`)
    parts.push(`<text x="${M.left - 8}" y="${yy + 4}" text-anchor="end">${esc(fy(y))}</text>`)
  }
  for (const x of c.xs) {
    const xx = n(px(x))
    parts.push(`<line x1="${xx}" x2="${xx}" y1="${M.top + ph}" y2="${M.top + ph + 5}" stroke="#333"/>`)
    parts.push(`<text x="${xx}" y="${M.top + ph + 20}" text-anchor="middle">${esc(fx(x))}</text>`)
  }
  parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#333"/>`)
  parts.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#333"/>`)
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 14}" text-anchor="middle">${esc(c.xLabel)}</text>`)
  parts.push(`<text x="18" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 18 ${M.top + ph / 2})">${esc(c.yLabel)}</text>`)
  c.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]
    const pts = c.xs.map((x, j) => [px(x), py(s.ys[j]!)] as const).filter(([, y]) => Number.isFinite(y))
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([x, y]) => `${n(x)},${n(y)}`).join(' ')}"/>`)
    for (const [x, y] of pts) parts.push(`<circle cx="${n(x)}" cy="${n(y)}" r="3.5" fill="${color}"/>`)
    const ly = M.top + 10 + i * 20
    parts.push(`<line x1="${W - M.right + 16}" x2="${W - M.right + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`)
    parts.push(`<text x="${W - M.right + 46}" y="${ly + 4}">${esc(s.name)}</text>`)
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
