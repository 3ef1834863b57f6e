/** A tiny typed event emitter; a throwing handler is logged, never allowed to break the operation. */
import { memoryError } from './errors.js'
import type { Logger, MemoryEvent, MemoryEventHandler, MemoryEventName } from './types.js'

export class Emitter {
  readonly #handlers = new Map<MemoryEventName | '*', Set<MemoryEventHandler>>()
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  on(event: MemoryEventName | '*', handler: MemoryEventHandler): () => void {
    if (typeof handler !== 'function') throw memoryError('VALIDATION', 'handler must be a function')
    let set = this.#handlers.get(event)
    if (!set) this.#handlers.set(event, (set = new Set()))
    set.add(handler)
    return () => this.off(event, handler)
  }

  off(event: MemoryEventName | '*', handler: MemoryEventHandler): void {
    this.#handlers.get(event)?.delete(handler)
  }

  emit(event: MemoryEvent): void {
    for (const key of [event.type, '*'] as const) {
      for (const handler of this.#handlers.get(key) ?? []) {
        try {
          handler(event)
        } catch (e) {
          this.#logger.error('event handler threw', { event: event.type, error: String(e) })
        }
      }
    }
  }

  clear(): void {
    this.#handlers.clear()
  }
}
