/**
 * The built-in models: Universal Sentence Encoder lite (Apache-2.0), converted to ONNX at install time by
 * scripts/convert-use-lite.mjs into the package's models/ folder. Checksums here must equal the script's
 * (a test compares them).
 */
import { embedRuntime } from './env.js'

export type BuiltinModelName = 'use-lite' | 'use-lite-int8' | 'use-lite-int8-dynamic'

export interface BuiltinFile {
  file: string
  sha256: string
}

export const BUILTIN_MODELS: Readonly<Record<BuiltinModelName, BuiltinFile>> = Object.freeze({
  'use-lite': { file: 'use-lite.onnx', sha256: 'efce3796c57c4e065bbbd8ae844bbb4a3951abe783c6f7f26345641232b86f1c' },
  // Weight-only int8: a quarter of the size, same STS-B quality, fp32 speed (weights are restored at load).
  'use-lite-int8': { file: 'use-lite-int8.onnx', sha256: '9a970ce57af8de50ecd79a3fc35f5c24ea38e902ee00f316711fa64b5857af84' },
  // int8 weights and int8 products: same size and STS-B quality, and 1.6-2.6x faster than float in
  // onnxruntime-web on batches and long texts (docs/bench/embed.md), so the default.
  'use-lite-int8-dynamic': {
    file: 'use-lite-int8-dynamic.onnx',
    sha256: '25904793f785f1a85b2dccc7169f417870ed53bf0d52db82d071afe9917ea707',
  },
})

export const USE_LITE_VOCAB: BuiltinFile = Object.freeze({
  file: 'use-lite-vocab.json',
  sha256: '1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e',
})

export const DEFAULT_MODEL: BuiltinModelName = 'use-lite-int8-dynamic'

/** USE-lite reads at most this many tokens; longer texts are embedded in chunks. */
export const USE_LITE_MAX_TOKENS = 128
export const USE_LITE_DIMS = 512

/**
 * URL of a built-in file: the package's models/ folder, found from this module (src/embed/ when run from
 * source, dist/src/embed/ when built). In Node the folder that exists wins.
 */
export async function builtinFileUrl(file: string): Promise<URL> {
  const candidates = [new URL(`../../models/${file}`, import.meta.url), new URL(`../../../models/${file}`, import.meta.url)]
  if (embedRuntime.isNode && candidates[0]!.protocol === 'file:') {
    const { access } = (await import(/* @vite-ignore */ 'node:fs/promises' as string)) as typeof import('node:fs/promises')
    for (const url of candidates) {
      try {
        await access(url)
        return url
      } catch {}
    }
  }
  return import.meta.url.includes('/dist/') ? candidates[1]! : candidates[0]!
}
