import { playwright } from '@vitest/browser-playwright'
import { defineProject } from 'vitest/config'
import { CHROMIUM, CHROMIUM_ARGS } from '../shared/chromium.js'
import { chatOffline, closePage, openPage, pageEval, saveReference, serveExample } from './commands.js'

const root = new URL('../..', import.meta.url).pathname

// Debian's chromium, never a browser downloaded by a tool (scripts/ensure-chromium.mjs installs it).

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
      provider: playwright({ launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS } }),
      instances: [{ browser: 'chromium' }],
      commands: { openPage, pageEval, closePage, serveExample, chatOffline, saveReference },
    },
  },
})
