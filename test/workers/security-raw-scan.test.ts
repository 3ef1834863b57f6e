// Raw-byte scans of the edge's real storage in workerd: Durable Object storage with large values in R2
// (the edge-tiered driver the Worker uses). With encryption on, no content, metadata value or PII may
// appear anywhere in the stored bytes; after forgetSubject, none of the subject's words may remain.
import { env } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import type { VectorIndexFactory } from '../../src/core/types.js'
import { cloudflareR2Driver } from '../../src/store/drivers/cloudflare-r2.js'
import { durableObjectDriver } from '../../src/store/drivers/durable-object.js'
import { edgeTieredDriver } from '../../src/store/drivers/edge-tiered.js'
import usearchWasm from '../../wasm/usearch.wasm'
import { dumpDriver, encryptedScan, findStrings, forgetSubjectScan, type RawDump } from '../shared/raw-scan.js'
import { inDurableObject } from './helpers.js'

// workerd cannot compile wasm from bytes nor read the package's files, so the memory's default index
// cannot load usearch here: the scans' memories get the real usearch index from the imported module
// (as a Worker passes it), with the memory's own flat limit.
vi.mock('../../src/core/memory.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/core/memory.js')>()
  const { createVectorIndex } = await import('../../src/vector/create.js')
  const flatLimit = actual.MEMORY_FLAT_LIMIT
  const index: VectorIndexFactory = ({ dims, from }) =>
    createVectorIndex(from ? { dims, from, flatLimit, wasm: usearchWasm } : { dims, flatLimit, wasm: usearchWasm })
  return {
    ...actual,
    createMemory: (options: Parameters<typeof actual.createMemory>[0] = {}) => actual.createMemory({ index, ...options }),
  }
})

const r2 = () => cloudflareR2Driver({ binding: env.BLOBS })

/** The Worker's store shape; values above `blobAbove` bytes go to R2 under `blobPrefix`. */
const tieredIn = (name: string, blobPrefix: string, blobAbove: number) =>
  inDurableObject(name, (storage) => edgeTieredDriver({ primary: durableObjectDriver({ storage }), blobs: r2(), blobAbove, blobPrefix }))

/** Every raw byte of both tiers: the Durable Object's own keys (pointers included) and this test's R2 blobs. */
async function dumpBoth(name: string, blobPrefix: string): Promise<{ all: RawDump; primary: RawDump; blobs: RawDump }> {
  const primary = await dumpDriver(inDurableObject(name, (storage) => durableObjectDriver({ storage })))
  const blobs = await dumpDriver(r2(), blobPrefix)
  return { all: [...primary, ...blobs], primary, blobs }
}

describe('security raw scans on Durable Object + R2 storage (workerd)', () => {
  it('with encryption (default 600k PBKDF2 iterations), neither tier holds content, metadata values or PII', async () => {
    const name = `sec-enc-${crypto.randomUUID()}`
    const prefix = `sec-enc-blob/${crypto.randomUUID()}/`
    let tiers: Awaited<ReturnType<typeof dumpBoth>> | undefined
    const report = await encryptedScan({
      store: tieredIn(name, prefix, 1024),
      iterations: 600_000,
      dump: async () => {
        tiers = await dumpBoth(name, prefix)
        return tiers.all
      },
    })
    expect(report.hits).toEqual([])
    // A scan of nothing proves nothing: both tiers hold real data.
    expect(report.bytes).toBeGreaterThan(2000)
    expect(tiers?.primary.length).toBeGreaterThan(0)
    expect(tiers?.blobs.length).toBeGreaterThan(0)
  })

  it('after forgetSubject, neither tier holds the subject’s words while another person’s content stays readable', async () => {
    const name = `sec-forget-${crypto.randomUUID()}`
    const prefix = `sec-forget-blob/${crypto.randomUUID()}/`
    let tiers: Awaited<ReturnType<typeof dumpBoth>> | undefined
    // A low threshold sends records to R2 too, so forgetting must also remove the blobs they replaced.
    const result = await forgetSubjectScan({
      store: tieredIn(name, prefix, 128),
      dump: async () => {
        tiers = await dumpBoth(name, prefix)
        return tiers.all
      },
    })
    expect(result.hits).toEqual([])
    // Unencrypted, the other person's words are visible: the scan reads the real bytes.
    expect(result.control.length).toBeGreaterThan(0)
    expect(tiers?.blobs.length).toBeGreaterThan(0)
    expect(findStrings(tiers?.blobs ?? [], ['kayaking']).length).toBeGreaterThan(0)
  })
})
