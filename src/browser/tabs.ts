/**
 * Several tabs (each with its own worker and memory) over one IndexedDB namespace:
 * - one writer at a time: every mutation and every index snapshot runs under a Web Lock, and the memory
 *   first replays log entries that other tabs committed (so a write never builds on stale state);
 * - a change feed: after a local write the tab posts on a BroadcastChannel, and the other tabs replay the
 *   log from their last sequence (`refresh()`), so their recall sees the write at once.
 */
import type { EngramMemory } from '../core/memory.js'
import type { MemoryEvent } from '../core/types.js'

export interface TabSync {
  /** Runs `fn` holding the namespace's write lock (absent where Web Locks are not available). */
  lock?: <T>(fn: () => Promise<T>) => Promise<T>
  attach(memory: EngramMemory): void
  close(): void
}

interface ChangeMessage {
  type: 'changed'
  event: MemoryEvent['type']
}

export function tabSync(name: string): TabSync {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks
  const lock = locks ? <T>(fn: () => Promise<T>) => locks.request(name, () => fn()) as Promise<T> : undefined
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : undefined
  let detach: (() => void) | undefined
  let closed = false

  const sync: TabSync = {
    attach(memory) {
      // Coalesce bursts: one refresh runs at a time, and one more follows if news came in meanwhile.
      let running: Promise<void> | undefined
      let again = false
      const refresh = (): void => {
        if (closed) return
        if (running) {
          again = true
          return
        }
        const replay = () => memory.refresh()
        running = (lock ? lock(replay) : replay())
          .then(
            () => undefined,
            () => undefined,
          )
          .finally(() => {
            running = undefined
            if (again) {
              again = false
              refresh()
            }
          })
      }
      if (channel) channel.onmessage = (e: MessageEvent<ChangeMessage>) => e.data?.type === 'changed' && refresh()
      // Tell the others after each local change ('changed' is what a replay of theirs emits here).
      detach = memory.on('*', (event) => {
        if (event.type === 'changed' || event.type === 'recalled' || closed) return
        channel?.postMessage({ type: 'changed', event: event.type } satisfies ChangeMessage)
      })
    },
    close() {
      closed = true
      detach?.()
      channel?.close()
    },
  }
  if (lock) sync.lock = lock
  return sync
}
