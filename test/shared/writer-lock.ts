/** One lock for several writers in one process, as Web Locks give the tabs of one origin. */
export function writerLock(): <T>(fn: () => Promise<T>) => Promise<T> {
  let held = Promise.resolve()
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = held.then(fn)
    held = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }
}
