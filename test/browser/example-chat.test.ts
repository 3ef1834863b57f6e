/**
 * The chat example, built for production and served once: after the first visit it works with the
 * network off (server stopped, browser offline), recalls across turns, and looks like its reference.
 */

import { describe, expect, it } from 'vitest'
import { commands } from 'vitest/browser'

const REFERENCE = 'chat-offline.png'
const MESSAGES = ['My sister Ana lives in Porto', 'I prefer green tea over coffee', 'Where does Ana live?']

async function pixels(png: Blob): Promise<ImageData> {
  const bitmap = await createImageBitmap(png)
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height)
  const context = canvas.getContext('2d')!
  context.drawImage(bitmap, 0, 0)
  return context.getImageData(0, 0, bitmap.width, bitmap.height)
}

const fromBase64 = (b64: string) => new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/png' })

/** Share of pixels whose colour differs clearly (anti-aliasing noise stays under the threshold). */
function differingShare(a: ImageData, b: ImageData): number {
  let differing = 0
  for (let i = 0; i < a.data.length; i += 4) {
    const delta = Math.max(
      Math.abs(a.data[i]! - b.data[i]!),
      Math.abs(a.data[i + 1]! - b.data[i + 1]!),
      Math.abs(a.data[i + 2]! - b.data[i + 2]!),
    )
    if (delta > 48) differing++
  }
  return differing / (a.width * a.height)
}

describe('examples/chat', () => {
  it('works offline after the first visit, recalls across turns, and matches its screenshot', { timeout: 180_000 }, async () => {
    const url = await commands.serveExample()
    const { firstVisit, offline, screenshot } = await commands.chatOffline(url, MESSAGES)

    expect(firstVisit.controlled).toBe(true)
    expect(firstVisit.status).toMatch(/^0 memories · online$/)
    // Offline for real: nothing outside the service worker's cache can be fetched.
    expect(offline.online).toBe(false)
    expect(offline.uncachedFetch).toBe('failed')
    expect(offline.status).toBe('3 memories · offline')
    // The question recalls the fact told two turns earlier (USE-lite + BM25 in the worker, offline).
    expect(offline.recalled[0]).toBe('My sister Ana lives in Porto')
    expect(offline.turns).toEqual([
      MESSAGES[0],
      'Noted — I will remember that.',
      MESSAGES[1],
      expect.stringMatching(/^(Noted — I will remember that\.|I remember you said: “My sister Ana lives in Porto”)$/),
      MESSAGES[2],
      'I remember you said: “My sister Ana lives in Porto”',
    ])

    const shot = await pixels(fromBase64(screenshot))
    expect([shot.width, shot.height]).toEqual([900, 560])
    const reference = await fetch(`/test/browser/fixtures/${REFERENCE}`)
    if (!reference.ok || reference.headers.get('content-type')?.includes('image') === false) {
      await commands.saveReference(REFERENCE, screenshot)
      console.warn(`saved a new reference screenshot test/browser/fixtures/${REFERENCE}: check it and commit it`)
      return
    }
    const expected = await pixels(await reference.blob())
    expect([expected.width, expected.height]).toEqual([shot.width, shot.height])
    expect(differingShare(shot, expected)).toBeLessThan(0.005)
  })
})
