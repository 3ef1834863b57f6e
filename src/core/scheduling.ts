/**
 * Giving the event loop a turn during long work (an index snapshot of hundreds of MB): queued tasks run
 * first, such as a recall message from the page, a timer or another request to the Durable Object.
 */

/**
 * Resolves on a later macrotask, not a microtask, so that tasks already queued run before it. A timer
 * rather than `scheduler.yield()`, whose continuation is queued ahead of the waiting message events.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0))
}
