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

declare module 'vitest/browser' {
  interface BrowserCommands {
    openPage(url: string, ready: string): Promise<string>
    pageEval<T = unknown>(id: string, expression: string): Promise<T>
    closePage(id: string): Promise<void>
  }
}
