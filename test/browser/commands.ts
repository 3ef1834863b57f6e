/**
 * Server-side browser commands (run in Node by vitest, with playwright's page and context): open other
 * pages of the test's browser context, drive them, and serve the chat example offline.
 */
import type { Page } from 'playwright'
import type { BrowserCommand } from 'vitest/node'

const pages = new Map<string, Page>()
let nextPage = 1

/** Opens another page (tab) in the test's browser context and waits until `ready` is true in it. */
export const openPage: BrowserCommand<[url: string, ready: string]> = async (ctx, url, ready) => {
  const page = await ctx.context.newPage()
  await page.goto(url)
  await page.waitForFunction(ready)
  const id = `page-${nextPage++}`
  pages.set(id, page)
  return id
}

/** Evaluates an expression (awaiting a promise it returns) in a page opened by openPage. */
export const pageEval: BrowserCommand<[id: string, expression: string]> = async (_ctx, id, expression) => {
  const page = pages.get(id)
  if (!page) throw new Error(`No page ${id}`)
  return page.evaluate(expression)
}

export const closePage: BrowserCommand<[id: string]> = async (_ctx, id) => {
  await pages.get(id)?.close()
  pages.delete(id)
}

// ---------------------------------------------------------------- the chat example, offline

let example: { url: string; server: import('node:http').Server } | undefined

/** Builds examples/chat (vite build) and serves the result on 127.0.0.1; returns its URL. */
export const serveExample: BrowserCommand<[]> = async () => {
  if (example) return example.url
  const { build } = await import('vite')
  const { createServer } = await import('node:http')
  const { readFile, stat } = await import('node:fs/promises')
  const { extname, join, normalize } = await import('node:path')
  const root = new URL('../../examples/chat/', import.meta.url).pathname
  const outDir = new URL('../../node_modules/.cache/engram-chat-dist/', import.meta.url).pathname
  await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } })
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.json': 'application/json',
    '.wasm': 'application/wasm',
    '.onnx': 'application/octet-stream',
    '.css': 'text/css',
  }
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '')
    const file = join(outDir, path.endsWith('/') ? `${path}index.html` : path)
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file')
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' })
      res.end(await readFile(file))
    } catch {
      res.writeHead(404).end('not found')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  example = { url: `http://127.0.0.1:${port}/`, server }
  return example.url
}

export interface ChatOfflineResult {
  /** What each phase found, for the assertions. */
  firstVisit: { status: string; controlled: boolean }
  offline: { status: string; online: boolean; recalled: string[]; turns: string[]; uncachedFetch: string }
  /** PNG of the page after the offline chat, base64. */
  screenshot: string
}

/**
 * First visit online (the service worker precaches everything), then the server is stopped and the
 * context is put offline, the page is reloaded and used: three messages, the last one a question.
 */
export const chatOffline: BrowserCommand<[url: string, messages: string[]]> = async (ctx, url, messages) => {
  const browser = ctx.context.browser()
  if (!browser) throw new Error('no browser')
  const context = await browser.newContext({ viewport: { width: 900, height: 560 }, deviceScaleFactor: 1 })
  try {
    const page = await context.newPage()
    await page.goto(url)
    await page.waitForFunction('window.chatReady === true', null, { timeout: 120_000 })
    await page.waitForFunction('navigator.serviceWorker.controller !== null', null, { timeout: 60_000 })
    await page.evaluate('navigator.serviceWorker.ready')
    const firstVisit = await page.evaluate(
      '({ status: document.getElementById("status").textContent, controlled: navigator.serviceWorker.controller !== null })',
    )

    // No network at all from here: the server is gone and the browser context is offline.
    await new Promise<void>((resolve) => example?.server.close(() => resolve()) ?? resolve())
    example = undefined
    await context.setOffline(true)
    await page.reload()
    await page.waitForFunction('window.chatReady === true', null, { timeout: 120_000 })
    for (const [i, message] of messages.entries()) {
      await page.fill('#input', message)
      await page.click('#send')
      await page.waitForFunction(`document.querySelectorAll('.turn.assistant').length >= ${i + 1}`, null, { timeout: 60_000 })
    }
    await page.waitForFunction('document.getElementById("send").disabled === false')
    const offline = await page.evaluate(`(async () => ({
      status: document.getElementById('status').textContent,
      online: navigator.onLine,
      recalled: [...document.querySelectorAll('#recalled li')].map((li) => li.textContent),
      turns: [...document.querySelectorAll('.turn')].map((t) => t.textContent),
      uncachedFetch: await fetch('./not-cached-' + Date.now()).then(() => 'reachable', () => 'failed'),
    }))()`)
    const screenshot = (await page.screenshot({ caret: 'hide', animations: 'disabled' })).toString('base64')
    return { firstVisit, offline, screenshot } as ChatOfflineResult
  } finally {
    await context.close()
  }
}

/** Writes a reference image next to the tests (first run only; CI must find it committed). */
export const saveReference: BrowserCommand<[name: string, base64: string]> = async (_ctx, name, base64) => {
  if (process.env.CI) throw new Error(`Reference screenshot ${name} is missing: run the browser tests once locally and commit it`)
  const { writeFile } = await import('node:fs/promises')
  await writeFile(new URL(`./fixtures/${name}`, import.meta.url), Buffer.from(base64, 'base64'))
}

declare module 'vitest/browser' {
  interface BrowserCommands {
    openPage(url: string, ready: string): Promise<string>
    pageEval<T = unknown>(id: string, expression: string): Promise<T>
    closePage(id: string): Promise<void>
    serveExample(): Promise<string>
    chatOffline(url: string, messages: string[]): Promise<ChatOfflineResult>
    saveReference(name: string, base64: string): Promise<void>
  }
}
