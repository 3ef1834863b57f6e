/**
 * serve: the REST API of src/edge/http.ts on node:http, so a local store answers on the same routes
 * as a Cloudflare deployment. Node's IncomingMessage/ServerResponse are converted to and from the
 * Fetch API's Request/Response; the handler itself is shared, not re-implemented.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import type { Command } from 'commander'
import { isMemoryError, memoryError } from '../../core/errors.js'
import { Context } from '../context.js'
import { integerIn, parseDuration } from '../parse.js'

/** A Fetch API Request for a node:http request (the body streams; aborts when the client goes away). */
export function toRequest(req: IncomingMessage, origin: string, signal: AbortSignal): Request {
  const headers = new Headers()
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  const method = req.method ?? 'GET'
  const init: RequestInit & { duplex?: 'half' } = { method, headers, signal }
  if (method !== 'GET' && method !== 'HEAD') {
    init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>
    init.duplex = 'half'
  }
  return new Request(new URL(req.url ?? '/', origin), init)
}

/** Write a Fetch API Response to a node:http response, honouring backpressure and client disconnects. */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status
  response.headers.forEach((value, key) => {
    res.setHeader(key, value)
  })
  if (!response.body) {
    res.end()
    return
  }
  const reader = response.body.getReader()
  const onClose = () => {
    reader.cancel().catch(() => {})
  }
  res.once('close', onClose)
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done || res.destroyed) break
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const go = () => {
            res.off('drain', go)
            res.off('close', go)
            resolve()
          }
          res.on('drain', go)
          res.on('close', go)
        })
      }
    }
  } finally {
    res.off('close', onClose)
    res.end()
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve the REST API (same routes as the edge) for the local store, on 127.0.0.1')
    .option('--port <port>', 'TCP port (0 picks a free one)', integerIn(0, 65_535), 8787)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--token-ttl <duration>', 'lifetime of the token printed at start', parseDuration, 24 * 3_600_000)
    .option('--quiet', 'do not log requests')
    .addHelpText(
      'after',
      `
Tokens are signed with ENGRAM_TOKEN_SECRET (at least 16 characters) when it is set, else with a
random secret for this run. An admin token for --namespace is printed at start; use it as
  $ engram search "query" --url http://127.0.0.1:8787 --token <token>
Routes: POST /memory/store, GET /memory/recall?q=, GET /memory/get/:id, PATCH /memory/update/:id,
DELETE /memory/forget/:id, POST /memory/forget, GET /memory/list, /stats, /health, /export,
POST /memory/consolidate, /summarize, GET /memory/events (SSE), GET /memory/dashboard.`,
    )
    .action(async (opts, command: Command) => {
      const ctx = new Context(command)
      const { out } = ctx
      if (ctx.globals.url) throw memoryError('VALIDATION', 'serve serves a local store (--dir); it does not take --url.')
      if (!LOOPBACK.has(opts.host)) out.warn(`listening on ${opts.host}: anyone who can reach it and holds a token can use this memory`)
      const [{ signToken, tokenAuth }, { createHttpHandler }, { annotateLock, openLocalStore }] = await Promise.all([
        import('../../edge/auth.js'),
        import('../../edge/http.js'),
        import('../local.js'),
      ])
      const envSecret = process.env.ENGRAM_TOKEN_SECRET
      const secret = envSecret && envSecret.length > 0 ? envSecret : randomBytes(32).toString('hex')
      const auth = tokenAuth({ secret })
      const store = await openLocalStore(ctx.globals.dir, 'serve', { create: true })
      let server: ReturnType<typeof createServer> | undefined
      try {
        await store.open(ctx.namespace)
        const handle = createHttpHandler({ auth, resolveMemory: (ns) => store.open(ns) })
        server = createServer((req, res) => {
          const started = performance.now()
          const aborter = new AbortController()
          res.once('close', () => aborter.abort())
          const origin = `http://${req.headers.host ?? `${opts.host}:${opts.port}`}`
          let request: Request
          try {
            request = toRequest(req, origin, aborter.signal)
          } catch {
            res.statusCode = 400
            res.end()
            return
          }
          handle(request)
            .then((response) => sendResponse(res, response))
            .catch((e) => {
              if (!res.headersSent) res.statusCode = 500
              res.end()
              out.warn(`request failed: ${isMemoryError(e) ? e.message : String(e)}`)
            })
            .finally(() => {
              if (!opts.quiet && !out.json)
                process.stderr.write(`${req.method} ${req.url} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms\n`)
            })
        })
        const listening = server
        await new Promise<void>((resolve, reject) => {
          listening.once('error', (e: NodeJS.ErrnoException) => {
            if (e.code === 'EADDRINUSE')
              reject(memoryError('CONFLICT', `Port ${opts.port} on ${opts.host} is in use; pick another with --port (0 picks a free one).`))
            else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND')
              reject(memoryError('VALIDATION', `Cannot listen on ${opts.host}: ${e.code}.`))
            else reject(e)
          })
          listening.listen(opts.port, opts.host, () => resolve())
        })
        const { port } = server.address() as AddressInfo
        const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host
        const url = `http://${host}:${port}`
        await annotateLock(store.dir, { pid: process.pid, command: 'serve', startedAt: Date.now(), url })
        const token = await signToken(secret, {
          namespace: ctx.namespace,
          scopes: ['admin'],
          ttlSeconds: Math.round(opts.tokenTtl / 1000),
          subject: 'engram-cli',
        })
        out.result({ url, base: `${url}/memory`, namespace: ctx.namespace, token, dir: store.dir, pid: process.pid }, () => {
          const c = out.color
          out.line(`${c.bold('engram serve')} · ${c.cyan(`${url}/memory`)} · store ${store.dir}`)
          out.line(`token for namespace ${ctx.namespace} (admin${envSecret ? '' : ', valid for this run only'}):`)
          out.line(token)
          out.line(c.dim(`dashboard: ${url}/memory/dashboard`))
          out.line(c.dim(`try: engram status --url ${url} --token <token>     stop: Ctrl-C`))
        })
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop)
            process.off('SIGTERM', stop)
            resolve()
          }
          process.on('SIGINT', stop)
          process.on('SIGTERM', stop)
        })
        out.note('stopping…')
      } finally {
        if (server) {
          const closing = server
          await new Promise<void>((resolve) => {
            closing.close(() => resolve())
            closing.closeAllConnections()
          })
        }
        await store.release()
      }
    })
}

export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .description('Mint a bearer token for --url (signed with ENGRAM_TOKEN_SECRET, the secret the server or deployment uses)')
    .option('--scopes <scopes>', 'comma-separated: read, write, admin', 'read,write')
    .option('--ttl <duration>', 'how long the token is valid', parseDuration, 24 * 3_600_000)
    .option('--subject <who>', 'who the token is for (shows in logs)')
    .addHelpText('after', '\nExample:\n  $ ENGRAM_TOKEN_SECRET=... engram token --namespace user-42 --scopes read --ttl 7d')
    .action(async (opts, command: Command) => {
      const ctx = new Context(command)
      const secret = process.env.ENGRAM_TOKEN_SECRET
      if (!secret) {
        throw memoryError('VALIDATION', 'Set ENGRAM_TOKEN_SECRET to the secret of the server or deployment the token is for.')
      }
      const { signToken, TOKEN_SCOPES } = await import('../../edge/auth.js')
      const scopes = String(opts.scopes)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
      const unknown = scopes.filter((s) => !(TOKEN_SCOPES as readonly string[]).includes(s))
      if (unknown.length > 0) throw memoryError('VALIDATION', `Unknown scope ${unknown.join(', ')}; use ${TOKEN_SCOPES.join(', ')}.`)
      const ttlSeconds = Math.round(opts.ttl / 1000)
      const token = await signToken(secret, {
        namespace: ctx.namespace,
        scopes: scopes as (typeof TOKEN_SCOPES)[number][],
        ttlSeconds,
        ...(opts.subject ? { subject: opts.subject } : {}),
      })
      const expiresAt = new Date(Date.now() + ttlSeconds * 1000).toISOString()
      ctx.out.result({ token, namespace: ctx.namespace, scopes, expiresAt }, () => ctx.out.line(token))
    })
}
