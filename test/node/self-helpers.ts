import { afterEach } from 'vitest'
import { createMemory, type EngramMemory, type MemoryInternals } from '../../src/core/memory.js'
import type { CreateMemoryOptions, MemoryEvent, MemoryRecord } from '../../src/core/types.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'

const opened: EngramMemory[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((m) => m.close()))
})

export const T0 = Date.parse('2025-06-01T12:00:00Z')
export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

export function clock(start = T0) {
  let t = start
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms
      return t
    },
    set: (at: number) => {
      t = at
    },
  }
}

/** A memory over the in-memory driver and the hashing test embedder; closed after each test. */
export async function open(options: CreateMemoryOptions & MemoryInternals = {}) {
  const mem = await createMemory({ embedder: createTestEmbedder({ dims: 256 }), store: memoryDriver(), ...options })
  opened.push(mem)
  return mem
}

export function recordEvents(mem: EngramMemory): MemoryEvent[] {
  const events: MemoryEvent[] = []
  mem.on('*', (e) => events.push(e))
  return events
}

/** A complete record for pure-function tests; override what matters. */
export function fakeRecord(partial: Partial<MemoryRecord> & { id: string }): MemoryRecord {
  return {
    content: partial.id,
    type: 'episodic',
    tier: 'long-term',
    importance: 0.5,
    createdAt: 0,
    updatedAt: 0,
    lastAccessedAt: 0,
    accessCount: 0,
    metadata: {},
    scope: {},
    entities: [],
    links: [],
    sourceIds: [],
    version: 1,
    contentHash: '',
    embeddingModel: '',
    dims: 0,
    ...partial,
  }
}
