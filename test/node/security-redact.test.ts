import { describe, expect, it } from 'vitest'
import { createMemory } from '../../src/core/memory.js'
import type { Embedder } from '../../src/embed/embedder.js'
import { createTestEmbedder } from '../../src/embed/hashing.js'
import { findPii, ibanValid, luhnValid } from '../../src/security/redact.js'
import type { StoreDriver } from '../../src/store/driver.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'
import { expectCode } from '../shared/expect-error.js'
import { dumpDriver, findStrings } from '../shared/raw-scan.js'

/** Records every text the memory hands to the embedder. */
function spyingEmbedder(): Embedder & { seen: string[] } {
  const inner = createTestEmbedder({ dims: 32 })
  const seen: string[] = []
  return {
    id: inner.id,
    dims: inner.dims,
    seen,
    embed(texts, options) {
      seen.push(...texts)
      return inner.embed(texts, options)
    },
  }
}
const keepOpen = (driver: StoreDriver): StoreDriver => ({ ...driver, close: async () => undefined })
const kinds = (text: string) => findPii(text).map((s) => `${s.kind}:${text.slice(s.start, s.end)}`)

const PII = {
  email: 'jane.doe+work@example.co.uk',
  phone: '+1 (415) 555-0132',
  card: '4539 1488 0343 6467',
  iban: 'DE89 3704 0044 0532 0130 00',
  ssn: '123-45-6789',
  nino: 'AB 12 34 56 C',
  ipv4: '198.51.100.23',
  ipv6: '2001:db8::8a2e:370:7334',
}

describe('PII detectors', () => {
  it('find each kind in running text', () => {
    expect(kinds(`mail ${PII.email} now`)).toEqual([`email:${PII.email}`])
    expect(kinds(`ring ${PII.phone} today`)).toEqual([`phone:${PII.phone}`])
    expect(kinds(`card ${PII.card} expires`)).toEqual([`card:${PII.card}`])
    expect(kinds(`iban ${PII.iban} and more`)).toEqual([`iban:${PII.iban}`])
    expect(kinds(`ssn ${PII.ssn}.`)).toEqual([`national-id:${PII.ssn}`])
    expect(kinds(`nino ${PII.nino}.`)).toEqual([`national-id:${PII.nino}`])
    expect(kinds(`from ${PII.ipv4} and ${PII.ipv6} ok`)).toEqual([`ip:${PII.ipv4}`, `ip:${PII.ipv6}`])
  })

  it('check Luhn and mod-97 instead of trusting the shape', () => {
    expect(luhnValid('4539148803436467')).toBe(true)
    expect(luhnValid('4539148803436468')).toBe(false)
    expect(ibanValid('DE89370400440532013000')).toBe(true)
    expect(ibanValid('DE89370400440532013001')).toBe(false)
    expect(kinds('card 4539 1488 0343 6468 is fake')).toEqual([])
    expect(kinds('not an iban DE89 3704 0044 0532 0130 01')).not.toContain('iban:DE89 3704 0044 0532 0130 01')
  })

  it('leave ordinary numbers, dates, times and versions alone', () => {
    for (const text of ['meeting at 10:30:15 on 2024-05-17', 'version 1.2.3', 'we sold 1234 units', 'pi is 3.14159']) {
      expect(kinds(text), text).toEqual([])
    }
  })

  it('run custom patterns first', () => {
    expect(findPii('badge EMP-123456 please', { patterns: [{ name: 'employee-id', pattern: /EMP-\d{6}/ }] })).toEqual([
      { kind: 'employee-id', start: 6, end: 16 },
    ])
  })
})

describe('redaction in the memory', () => {
  it('no PII string reaches the embedder or the store (mask)', async () => {
    const raw = memoryDriver()
    const embedder = spyingEmbedder()
    const mem = await createMemory({ namespace: 'r', store: keepOpen(raw), embedder, redact: true })
    const all = Object.values(PII)
    const id = await mem.store(`Reach me: ${all.join(' / ')}`, {
      metadata: { contact: { email: PII.email, phones: [PII.phone] }, note: 'plain' },
      entities: [PII.email, 'Jane'],
    })
    await mem.storeBatch([{ content: `card ${PII.card}` }, { content: `iban ${PII.iban}` }])
    await mem.update(id, { content: `new address ${PII.email} and ${PII.ssn}` })
    await mem.import([{ ...(await mem.get(id)), id: 'imported1', content: `imported ${PII.ipv4}`, embedding: [] }])
    await mem.recall(`who has ${PII.email}?`)
    const record = await mem.get(id)
    expect(record.content).toBe('new address [EMAIL] and [NATIONAL_ID]')
    await mem.close()
    const needles = [...all, 'jane.doe', '4539 1488', '3704 0044', '8a2e:370']
    expect(embedder.seen.length).toBeGreaterThan(4)
    for (const text of embedder.seen) for (const n of needles) expect(text, 'text sent to the embedder').not.toContain(n)
    expect(findStrings(await dumpDriver(raw), needles)).toEqual([])
  })

  it('pseudonymizes with a stable token per value per namespace, so recall by the value still works', async () => {
    const store = keepOpen(memoryDriver())
    const embedder = spyingEmbedder()
    const mem = await createMemory({ namespace: 'p', store, embedder, redact: { mode: 'pseudonymize' } })
    const a = await mem.store(`Jane writes from ${PII.email}`)
    const b = await mem.store(`Invoice sent to ${PII.email.toUpperCase()}`)
    await mem.store('Bob writes from bob@example.org')
    const ta = (await mem.get(a)).content.match(/\[EMAIL:[0-9a-f]{10}\]/)?.[0]
    const tb = (await mem.get(b)).content.match(/\[EMAIL:[0-9a-f]{10}\]/)?.[0]
    expect(ta).toBeDefined()
    expect(tb).toBe(ta)
    const hits = await mem.recall(`anything from ${PII.email}?`, { k: 2, mode: 'keyword' })
    expect(hits.map((h) => h.memory.id).sort()).toEqual([a, b].sort())
    await mem.close()
    // Same namespace reopened: same token. Another namespace: another key, another token.
    const again = await createMemory({ namespace: 'p', store, embedder, redact: { mode: 'pseudonymize' } })
    expect((await again.get(await again.store(`again ${PII.email}`))).content).toContain(ta!)
    await again.close()
    const other = await createMemory({ namespace: 'q', store, embedder, redact: { mode: 'pseudonymize' } })
    expect((await other.get(await other.store(`again ${PII.email}`))).content).not.toContain(ta!)
    await other.close()
    for (const text of embedder.seen) expect(text).not.toContain('jane.doe')
  })

  it('records what was redacted in the audit log, never the value', async () => {
    const raw = memoryDriver()
    const mem = await createMemory({ namespace: 'a', store: keepOpen(raw), embedder: spyingEmbedder(), redact: true, actor: 'tester' })
    const id = await mem.store(`mail ${PII.email} or call ${PII.phone}`)
    await mem.update(id, { metadata: { card: PII.card } })
    await mem.recall(`find ${PII.email}`)
    await mem.flush()
    const events = []
    for await (const e of mem.exportAudit()) events.push(e)
    expect(events.find((e) => e.op === 'store')?.detail).toEqual({ redacted: { email: 1, phone: 1 } })
    expect(events.find((e) => e.op === 'update')?.detail).toEqual({ redacted: { card: 1 } })
    const recall = events.find((e) => e.op === 'access')?.detail as { recall: { redacted?: unknown } }
    expect(recall.recall.redacted).toEqual({ email: 1 })
    expect(events.every((e) => e.actor === 'tester')).toBe(true)
    expect(JSON.stringify(events)).not.toContain('example.co.uk')
    await mem.close()
  })

  it('custom patterns are redacted under their own label; bad ones are refused', async () => {
    const mem = await createMemory({
      store: memoryDriver(),
      embedder: spyingEmbedder(),
      redact: { patterns: [{ name: 'employee-id', pattern: /EMP-\d{6}/ }], kinds: ['email'] },
    })
    const id = await mem.store('badge EMP-123456, phone 555-0100-222')
    expect((await mem.get(id)).content).toBe('badge [EMPLOYEE_ID], phone 555-0100-222')
    await mem.close()
    await expectCode(() => createMemory({ store: memoryDriver(), embedder: spyingEmbedder(), redact: { patterns: [/x*/] } }), 'VALIDATION')
    await expectCode(
      () => createMemory({ store: memoryDriver(), embedder: spyingEmbedder(), redact: { mode: 'hash' as never } }),
      'VALIDATION',
    )
    await expectCode(
      () => createMemory({ store: memoryDriver(), embedder: spyingEmbedder(), redact: { kinds: ['dna' as never] } }),
      'VALIDATION',
    )
  })

  it('handles hostile text quickly enough and keeps it intact where there is no PII', async () => {
    const long = `${'a.'.repeat(20_000)}@${'b-'.repeat(10_000)}`
    const spans = findPii(long)
    expect(spans.every((s) => s.end - s.start < 400)).toBe(true)
    const digits = '12 '.repeat(30_000)
    expect(findPii(digits).length).toBeGreaterThan(0)
  })
})
