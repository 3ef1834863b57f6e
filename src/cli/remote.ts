/**
 * A Backend over the REST routes of src/edge/http.ts (a Cloudflare deployment or `engram serve`).
 * Errors come back as `{ error: { code, message } }` and are rebuilt as MemoryErrors, so exit codes
 * and messages are the same as for a local store. Verbs the API has no route for reject with
 * UNSUPPORTED and say to run them where the store lives.
 */
import { deserializeMemoryError, memoryError, type SerializedMemoryError } from '../core/errors.js'
import type {
  ExportedRecord,
  ForgetQuery,
  HealthReport,
  HistoryEntry,
  ListOptions,
  ListPage,
  MemoryRecord,
  MemoryStats,
  RecallHit,
  RecallOptions,
  StoreOptions,
  UpdatePatch,
} from '../core/types.js'
import type { Backend } from './backend.js'

export interface RemoteOptions {
  url: string
  token?: string
  /** Sent as `x-engram-namespace`; the server refuses it unless the token is for that namespace. */
  namespace?: string
  fetch?: typeof fetch
}

/** `http://host:8787` → `http://host:8787/memory`; a URL that already names a path is kept. */
export function apiBase(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw memoryError('VALIDATION', `--url ${JSON.stringify(url)} is not a URL; use e.g. http://127.0.0.1:8787`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw memoryError('VALIDATION', '--url must be an http:// or https:// URL')
  const path = parsed.pathname.replace(/\/+$/, '')
  parsed.pathname = path === '' ? '/memory' : path
  parsed.search = ''
  return parsed.toString().replace(/\/$/, '')
}

export function remoteBackend(options: RemoteOptions): Backend {
  const base = apiBase(options.url)
  const doFetch = options.fetch ?? fetch
  const headers: Record<string, string> = {}
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.namespace) headers['x-engram-namespace'] = options.namespace

  async function call(method: string, path: string, body?: unknown, query?: Record<string, string | undefined>): Promise<Response> {
    const url = new URL(base + path)
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v)
    let response: Response
    try {
      response = await doFetch(url, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    } catch (e) {
      const reason = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message
      throw memoryError('STORAGE', `Could not reach ${base} (${reason}). Is the server running (engram serve) and the URL right?`, {
        cause: e,
      })
    }
    if (response.ok) return response
    let error: SerializedMemoryError | undefined
    try {
      error = ((await response.json()) as { error?: SerializedMemoryError }).error
    } catch {
      error = undefined
    }
    if (error && typeof error.code === 'string') {
      throw deserializeMemoryError({ ...error, name: 'MemoryError' })
    }
    throw memoryError(response.status === 404 ? 'NOT_FOUND' : 'STORAGE', `${method} ${url.pathname} answered HTTP ${response.status}`)
  }
  const json = async <T>(method: string, path: string, body?: unknown, query?: Record<string, string | undefined>) =>
    (await call(method, path, body, query)).json() as Promise<T>
  const id = (value: string) => encodeURIComponent(value)
  const unsupported = (verb: string) => () =>
    Promise.reject(
      memoryError(
        'UNSUPPORTED',
        `'${verb}' is not available over --url (the REST API has no route for it); run it where the store lives, with --dir.`,
      ),
    )
  const list = (values: string[] | undefined) => (values && values.length > 0 ? values.join(',') : undefined)
  const obj = (value: unknown) => (value === undefined ? undefined : JSON.stringify(value))

  return {
    namespace: options.namespace ?? '(from the token)',
    where: base,
    remote: true,
    async store(content: string, opts: StoreOptions = {}) {
      const { signal: _signal, ...rest } = opts
      return (await json<{ id: string }>('POST', '/store', { content, ...rest })).id
    },
    async recall(query: string, opts: RecallOptions = {}) {
      const q: Record<string, string | undefined> = {
        q: query,
        k: opts.k?.toString(),
        types: list(opts.types),
        tiers: list(opts.tiers),
        filter: obj(opts.filter),
        scope: obj(opts.scope),
        minRelevance: opts.minRelevance?.toString(),
        mode: opts.mode,
        peek: opts.peek ? '1' : undefined,
      }
      return (await json<{ results: RecallHit[] }>('GET', '/recall', undefined, q)).results
    },
    async get(memoryId: string) {
      return (await json<{ memory: MemoryRecord }>('GET', `/get/${id(memoryId)}`)).memory
    },
    async list(opts: ListOptions = {}) {
      return json<ListPage>('GET', '/list', undefined, {
        types: list(opts.types),
        tiers: list(opts.tiers),
        filter: obj(opts.filter),
        limit: opts.limit === undefined ? undefined : String(Math.min(opts.limit, 1000)),
        cursor: opts.cursor,
      })
    },
    async count(opts = {}) {
      let n = 0
      let cursor: string | undefined
      do {
        const page = await this.list({ ...opts, limit: 1000, ...(cursor === undefined ? {} : { cursor }) })
        n += page.items.length
        cursor = page.cursor
      } while (cursor !== undefined)
      return n
    },
    async update(memoryId: string, patch: UpdatePatch) {
      return (await json<{ memory: MemoryRecord }>('PATCH', `/update/${id(memoryId)}`, patch)).memory
    },
    async history(memoryId: string) {
      return (await json<{ history: HistoryEntry[] }>('GET', `/history/${id(memoryId)}`)).history
    },
    async forget(target: string | ForgetQuery) {
      const res =
        typeof target === 'string'
          ? await json<{ forgotten: number }>('DELETE', `/forget/${id(target)}`)
          : await json<{ forgotten: number }>('POST', '/forget', target)
      return res.forgotten
    },
    stats: () => json<MemoryStats>('GET', '/stats'),
    health: () => json<HealthReport>('GET', '/health'),
    async *export(opts: { includeEmbeddings?: boolean } = {}): AsyncIterable<ExportedRecord> {
      const response = await call('GET', '/export', undefined, { embeddings: opts.includeEmbeddings === false ? undefined : '1' })
      if (!response.body) return
      const decoder = new TextDecoder()
      let buffered = ''
      const reader = response.body.getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        buffered += decoder.decode(value, { stream: true })
        let nl = buffered.indexOf('\n')
        while (nl >= 0) {
          const line = buffered.slice(0, nl)
          buffered = buffered.slice(nl + 1)
          if (line.trim()) yield JSON.parse(line) as ExportedRecord
          nl = buffered.indexOf('\n')
        }
      }
      if (buffered.trim()) yield JSON.parse(buffered) as ExportedRecord
    },
    consolidate: (opts) => json<unknown>('POST', '/consolidate', opts ?? {}),
    async summarize(opts) {
      // The route answers `{ memory }` (older servers: the record itself); callers get the record.
      const body = await json<{ memory?: MemoryRecord } & Partial<MemoryRecord>>('POST', '/summarize', opts ?? {})
      return body.memory ?? body
    },
    optimize: unsupported('optimize'),
    import: unsupported('import'),
    snapshot: unsupported('snapshot'),
    snapshots: unsupported('snapshot --list'),
    rollback: unsupported('rollback'),
    close: async () => {},
  }
}
