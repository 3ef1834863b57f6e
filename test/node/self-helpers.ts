import { afterEach } from 'vitest'
import { createMemory, type EngramMemory } from '../../src/core/memory.js'
import type { CreateMemoryOptions, MemoryEvent } from '../../src/core/types.js'
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
export async function open(options: CreateMemoryOptions = {}) {
  const mem = await createMemory({ embedder: createTestEmbedder({ dims: 256 }), store: memoryDriver(), ...options })
  opened.push(mem)
  return mem
}

export function recordEvents(mem: EngramMemory): MemoryEvent[] {
  const events: MemoryEvent[] = []
  mem.on('*', (e) => events.push(e))
  return events
}
