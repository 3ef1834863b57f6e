import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineProject } from 'vitest/config'

const root = new URL('../..', import.meta.url).pathname

// Tests run inside workerd with the real bindings of wrangler.toml (local KV, R2 and Durable Objects).
export default defineProject({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: `${root}wrangler.toml` },
      miniflare: {
        bindings: { ENGRAM_TOKEN_SECRET: 'test-secret-for-workers-tests-only', EMBEDDER: 'hashing' },
      },
    }),
  ],
  test: {
    name: 'workers',
    root,
    include: ['test/workers/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
