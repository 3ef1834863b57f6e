import { defineConfig } from 'vitest/config'

// One vitest project per runtime; each lives beside its tests (test/<runtime>/vitest.config.ts).
export default defineConfig({
  test: {
    projects: ['test/*/vitest.config.ts'],
  },
})
