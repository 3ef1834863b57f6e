import { playwright } from '@vitest/browser-playwright'
import { defineProject } from 'vitest/config'
import { chatOffline, closePage, openPage, pageEval, saveReference, serveExample } from './commands.js'

const root = new URL('../..', import.meta.url).pathname

// Debian's chromium, never a browser downloaded by a tool (scripts/ensure-chromium.mjs installs it).
const executablePath = process.env.ENGRAM_CHROMIUM ?? '/usr/bin/chromium'
const args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

export default defineProject({
  root,
  // Pre-bundled up front, or Vite discovers them mid-run and reloads the page under the tests.
  optimizeDeps: { include: ['onnxruntime-web/wasm', 'comlink', 'idb', 'stemmer'] },
  test: {
    name: 'browser',
    root,
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({ launchOptions: { executablePath, args } }),
      instances: [{ browser: 'chromium' }],
      commands: { openPage, pageEval, closePage, serveExample, chatOffline, saveReference },
    },
  },
})
