import { readFile } from 'node:fs/promises'
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineProject } from 'vitest/config'

const root = new URL('../..', import.meta.url).pathname

// Tests run inside workerd with the real bindings of wrangler.toml (local KV, R2 and Durable Objects).
export default defineProject({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: `${root}wrangler.toml` },
      miniflare: {
        // The rate limiter has its own test (rate-limit.test.ts); here it must not throttle the load tests.
        bindings: { ENGRAM_TOKEN_SECRET: 'test-secret-for-workers-tests-only', EMBEDDER: 'hashing', RATE_LIMIT_PER_MINUTE: '1000000' },
        // The package's models/ folder over a binding (a Worker has no disk), for embed-parity.test.ts.
        serviceBindings: {
          MODEL_FILES: async (request: Request) => {
            const name = new URL(request.url).pathname.slice(1)
            if (!/^[\w.-]+$/.test(name)) return new Response('bad name', { status: 400 })
            try {
              return new Response(await readFile(`${root}models/${name}`))
            } catch {
              return new Response('not found', { status: 404 })
            }
          },
        },
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
