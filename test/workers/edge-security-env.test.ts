// Encryption at rest and PII redaction switched on from the Worker's environment (a secret and a var), as
// a deploy would: the Durable Object's REST routes answer in clear text while neither Durable Object
// storage nor R2 holds a readable byte of what was stored.
import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { type EdgeEnv, MemoryObject } from '../../src/edge/memory-object.js'
import { cloudflareR2Driver } from '../../src/store/drivers/cloudflare-r2.js'
import { durableObjectDriver } from '../../src/store/drivers/durable-object.js'
import usearchWasm from '../../wasm/usearch.wasm'
import { dumpDriver, findStrings, SECRET_CONTENT, SECRET_NEEDLES, SECRET_PII } from '../shared/raw-scan.js'
import { freshNamespace, ORIGIN, type RecallBody, tokenFor } from './helpers.js'

type Vars = Partial<Pick<EdgeEnv, 'ENGRAM_ENCRYPTION_PASSPHRASE' | 'REDACT'>>

/** Runs `requests` against a fresh MemoryObject instance of `namespace` configured with `vars`, then dumps both tiers. */
async function withObject(
  namespace: string,
  vars: Vars,
  requests: (send: (method: string, path: string, body?: unknown) => Promise<Response>) => Promise<void>,
) {
  const token = await tokenFor(namespace)
  const stub = env.MEMORY.get(env.MEMORY.idFromName(namespace))
  return runInDurableObject(stub, async (_instance, state) => {
    const object = new MemoryObject(state, { ...(env as unknown as EdgeEnv), ...vars }, { usearchWasm })
    const send = (method: string, path: string, body?: unknown) =>
      object.fetch(
        new Request(`${ORIGIN}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      )
    await requests(send)
    const primary = await dumpDriver(durableObjectDriver({ storage: state.storage }))
    const blobs = await dumpDriver(cloudflareR2Driver({ binding: env.BLOBS }), `blobs/${namespace}/`)
    return [...primary, ...blobs]
  })
}

const items = [...SECRET_CONTENT.map((content) => ({ content })), { content: `Contact: ${SECRET_PII.join(', ')}` }]

async function storeAndRecall(send: (method: string, path: string, body?: unknown) => Promise<Response>): Promise<RecallBody> {
  const stored = await send('POST', '/memory/store', { items })
  expect(stored.status, await stored.clone().text()).toBe(200)
  const results: RecallBody['results'] = []
  for (const q of ['zq7flamingo Wobblestone', 'contact']) {
    const recalled = await send('GET', `/memory/recall?q=${encodeURIComponent(q)}&k=10`)
    expect(recalled.status).toBe(200)
    results.push(...((await recalled.json()) as RecallBody).results)
  }
  return { results }
}

describe('edge security from the environment (workerd)', () => {
  it('ENGRAM_ENCRYPTION_PASSPHRASE + REDACT=on: answers in clear, stores no readable content and no PII', async () => {
    const namespace = freshNamespace('env-secure')
    let body: RecallBody | undefined
    const dump = await withObject(namespace, { ENGRAM_ENCRYPTION_PASSPHRASE: 'edge secret passphrase', REDACT: 'on' }, async (send) => {
      body = await storeAndRecall(send)
    })
    const contents = body?.results.map((r) => r.memory.content) ?? []
    expect(contents).toContain(SECRET_CONTENT[0])
    const contact = contents.find((c) => c.startsWith('Contact:'))
    expect(contact).toBeDefined()
    for (const pii of SECRET_PII) expect(contact).not.toContain(pii)
    expect(findStrings(dump, SECRET_NEEDLES)).toEqual([])
    expect(dump.reduce((n, c) => n + c.bytes.byteLength, 0)).toBeGreaterThan(2000)
  })

  it('without them the same requests leave the words readable (the scan can fail)', async () => {
    const namespace = freshNamespace('env-plain')
    const dump = await withObject(namespace, {}, async (send) => {
      await storeAndRecall(send)
    })
    expect(findStrings(dump, ['zq7flamingo', 'alice.zq7@example.org']).length).toBeGreaterThan(0)
  })

  it('a namespace encrypted with one passphrase refuses another (401 UNAUTHORIZED) and keeps its data', async () => {
    const namespace = freshNamespace('env-rekey')
    await withObject(namespace, { ENGRAM_ENCRYPTION_PASSPHRASE: 'first passphrase' }, async (send) => {
      await storeAndRecall(send)
    })
    await withObject(namespace, { ENGRAM_ENCRYPTION_PASSPHRASE: 'another passphrase' }, async (send) => {
      const response = await send('GET', '/memory/recall?q=zq7flamingo')
      expect(response.status).toBe(401)
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED')
    })
    await withObject(namespace, { ENGRAM_ENCRYPTION_PASSPHRASE: 'first passphrase' }, async (send) => {
      const response = await send('GET', '/memory/recall?q=zq7flamingo')
      const body = (await response.json()) as RecallBody
      expect(body.results.map((r) => r.memory.content)).toContain(SECRET_CONTENT[0])
    })
  })

  it('an unknown REDACT value is a clear VALIDATION error, not a silent default', async () => {
    const namespace = freshNamespace('env-bad')
    await withObject(namespace, { REDACT: 'sometimes' }, async (send) => {
      const response = await send('GET', '/memory/recall?q=anything')
      expect(response.status).toBe(400)
      const error = ((await response.json()) as { error: { code: string; message: string } }).error
      expect(error.code).toBe('VALIDATION')
      expect(error.message).toMatch(/REDACT/)
    })
  })
})
