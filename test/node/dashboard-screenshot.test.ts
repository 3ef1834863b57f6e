// The dashboard as a person sees it: `wrangler dev` (the same local runtime `npm start` uses) with a
// seeded namespace, opened in Debian's Chromium; the screenshot's pixels must show the charts drawn.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error -- plain ESM script without type declarations
import { freePort, seedDemo, spawnWranglerDev, stopWranglerDev, waitUntilUp } from '../../scripts/start.mjs'
import { signToken } from '../../src/edge/auth.js'
import { CHROMIUM, CHROMIUM_ARGS } from '../shared/chromium.js'

const SECRET = 'dashboard-test-secret-0123456789'
const root = new URL('../..', import.meta.url).pathname

/** Share of the box's pixels within `tolerance` of each colour, computed by Chromium's own PNG decoder. */
type ColourShares = Record<string, number>

describe('dashboard in Chromium', () => {
  let dir: string
  let child: { pid: number } & NodeJS.EventEmitter
  let base: string
  let browser: Browser
  let token: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'engram-dash-'))
    writeFileSync(join(dir, 'dev.vars'), `ENGRAM_TOKEN_SECRET="${SECRET}"\n`)
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    child = spawnWranglerDev({ port, persistTo: join(dir, 'state'), envFile: join(dir, 'dev.vars') })
    let log = ''
    child.on('data', () => {})
    ;(child as unknown as { stderr: NodeJS.ReadableStream }).stderr.on('data', (c: Buffer) => {
      log += c.toString()
    })
    ;(child as unknown as { stdout: NodeJS.ReadableStream }).stdout.on('data', () => {})
    try {
      await waitUntilUp(base, child, 120_000)
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${log.slice(-2000)}`)
    }
    const admin = await signToken(SECRET, { namespace: 'demo', scopes: ['admin'], ttlSeconds: 600 })
    expect(await seedDemo(base, admin)).toBe(true)
    token = await signToken(SECRET, { namespace: 'demo', scopes: ['read'], ttlSeconds: 600 })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  })

  afterAll(async () => {
    await browser?.close()
    if (child) await stopWranglerDev(child)
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('shows memories per tier and type over time, recall latency and top recalled memories', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } })
    await page.goto(`${base}/memory/dashboard#token=${token}`)
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 })

    // The numbers on the page are the seeded ones.
    expect(await page.textContent('#ns')).toBe('demo')
    const cards = await page.$$eval('#cards .card', (els) =>
      els.map((e) => [e.querySelector('.k')?.textContent, e.querySelector('.v')?.textContent]),
    )
    expect(Object.fromEntries(cards)).toMatchObject({ Memories: '16', 'long-term': '12', 'short-term': '4' })
    expect(await page.$$eval('#tiers svg polygon', (els) => els.length)).toBe(4)
    expect(await page.$$eval('#types svg polyline', (els) => els.length)).toBe(6)
    expect(await page.$$eval('#latency svg rect', (els) => els.length)).toBeGreaterThanOrEqual(15)
    const top = await page.$$eval('#top tr', (rows) => rows.map((r) => r.textContent ?? ''))
    expect(top.length).toBeGreaterThan(3)
    expect(top[0]).toMatch(/meetings|peanuts|tea|deploy|Lisbon/)

    mkdirSync(join(root, 'test-results'), { recursive: true })
    const png = await page.screenshot({ path: join(root, 'test-results', 'dashboard.png'), fullPage: true })

    // Read the screenshot's pixels back (decoded by Chromium) and look for each chart's ink.
    const box = async (selector: string) => {
      const b = await page.locator(selector).boundingBox()
      if (!b) throw new Error(`no box for ${selector}`)
      return b
    }
    const measure = (rect: { x: number; y: number; width: number; height: number }, colours: string[], alpha = 1) =>
      page.evaluate(
        async ({ data, rect, colours, alpha }) => {
          const img = new Image()
          img.src = `data:image/png;base64,${data}`
          await img.decode()
          const canvas = document.createElement('canvas')
          canvas.width = img.width
          canvas.height = img.height
          const ctx = canvas.getContext('2d')!
          ctx.drawImage(img, 0, 0)
          const px = ctx.getImageData(Math.round(rect.x), Math.round(rect.y), Math.round(rect.width), Math.round(rect.height)).data
          const out: Record<string, number> = {}
          for (const hex of colours) {
            // Expected pixel: the colour at `alpha` over the panel background (#171e2e).
            const [r, g, b] = [1, 3, 5].map(
              (i, j) => alpha * Number.parseInt(hex.slice(i, i + 2), 16) + (1 - alpha) * [0x17, 0x1e, 0x2e][j]!,
            ) as [number, number, number]
            let n = 0
            for (let i = 0; i < px.length; i += 4) {
              if (Math.abs(px[i]! - r) + Math.abs(px[i + 1]! - g) + Math.abs(px[i + 2]! - b) < 60) n++
            }
            out[hex] = n / (px.length / 4)
          }
          return out
        },
        { data: png.toString('base64'), rect, colours, alpha },
      ) as Promise<ColourShares>

    // Stacked areas at 75 % opacity: long-term (green) fills a good part of the chart, short-term (orange) shows too.
    const tierInk = await measure(await box('#tiers svg'), ['#f7b267', '#7bd389'], 0.75)
    expect(tierInk['#7bd389']).toBeGreaterThan(0.1)
    expect(tierInk['#f7b267']).toBeGreaterThan(0.02)
    const typeInk = await measure(await box('#types svg'), ['#6ea8fe', '#f7b267', '#7bd389', '#c98bdb', '#f4845f', '#5ad1d1'])
    for (const [colour, share] of Object.entries(typeInk)) expect(share, `type line ${colour}`).toBeGreaterThan(0.001)
    // One bar per recall (80 % opacity); a Worker's clock makes many of them near zero, so the ink is thin.
    const latencyInk = await measure(await box('#latency svg'), ['#6ea8fe'], 0.8)
    expect(latencyInk['#6ea8fe']).toBeGreaterThan(0.0001)
    const barInk = await measure(await box('#top table'), ['#6ea8fe'])
    expect(barInk['#6ea8fe']).toBeGreaterThan(0.01)
    await page.close()
  })
})
