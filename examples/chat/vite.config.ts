import { readdir, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

const here = fileURLToPath(new URL('.', import.meta.url))
const repo = fileURLToPath(new URL('../..', import.meta.url))

/** Writes precache.json (every file of the build) for the service worker to cache on install. */
function precacheManifest(): Plugin {
  let outDir = ''
  return {
    name: 'engram-chat-precache',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir)
    },
    async closeBundle() {
      const files: string[] = ['./']
      const walk = async (dir: string): Promise<void> => {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name)
          if (entry.isDirectory()) await walk(path)
          else if (entry.name !== 'sw.js' && entry.name !== 'precache.json') files.push(`./${relative(outDir, path)}`)
        }
      }
      await walk(outDir)
      await writeFile(join(outDir, 'precache.json'), JSON.stringify(files, null, 2))
    },
  }
}

export default defineConfig({
  root: here,
  base: './',
  plugins: [precacheManifest()],
  worker: { format: 'es' },
  build: { outDir: join(here, 'dist'), emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0 },
  optimizeDeps: { include: ['onnxruntime-web/wasm', 'comlink', 'idb', 'stemmer'] },
  server: { fs: { allow: [repo] } },
})
