import { describe, expect, it } from 'vitest'
import { extractFact, planSupersession } from '../../src/core/supersede.js'
import { memoryDriver } from '../../src/store/drivers/memory.js'
import { clock, DAY, fakeRecord, open, recordEvents } from './self-helpers.js'

describe('supersession heuristic', () => {
  it('extracts subject, attribute and value from the documented shapes only', () => {
    expect(extractFact('My favourite colour is blue.')).toEqual({ subject: 'user', attribute: 'favorite color', value: 'blue' })
    expect(extractFact('My favorite color is now green')).toEqual({ subject: 'user', attribute: 'favorite color', value: 'green' })
    expect(extractFact("The user's favorite color is red")).toMatchObject({ subject: 'user', value: 'red' })
    expect(extractFact('I now live in Lisbon')).toEqual({ subject: 'user', attribute: 'residence', value: 'lisbon' })
    expect(extractFact('Melanie works for Acme Corp.')).toEqual({ subject: 'melanie', attribute: 'employer', value: 'acme corp' })
    expect(extractFact('I am 34 years old')).toEqual({ subject: 'user', attribute: 'age', value: '34' })
    expect(extractFact('My sister is in Paris')).toBeUndefined()
    expect(extractFact('I love pizza')).toBeUndefined()
    expect(extractFact('We went hiking. It was fun.')).toBeUndefined()
  })
})

describe('supersession through the memory', () => {
  it('a preference changed twice: recall shows the current value, asOf shows each past one', async () => {
    const c = clock()
    const mem = await open({ now: c.now })
    const events = recordEvents(mem)
    const t1 = c.now()
    const blue = await mem.store('My favourite colour is blue', { type: 'preference' })
    const t2 = c.advance(DAY)
    const green = await mem.store('My favourite colour is now green', { type: 'preference' })
    const t3 = c.advance(DAY)
    const [red] = await mem.storeBatch([{ content: 'My favourite colour is red.', type: 'preference' }])
    expect(red!.supersedes).toEqual([green])
    c.advance(DAY)

    const old = await mem.get(blue)
    expect(old).toMatchObject({ validTo: t2, supersededBy: green })
    expect(await mem.get(green)).toMatchObject({ validTo: t3, supersededBy: red!.id })
    expect((await mem.get(red!.id)).validTo).toBeUndefined()

    const ask = async (asOf?: number) =>
      (await mem.recall('favourite colour', { k: 5, peek: true, ...(asOf === undefined ? {} : { asOf }) })).map((h) => h.memory.id)
    expect(await ask()).toEqual([red!.id])
    expect(await ask(t1 + 1000)).toEqual([blue])
    expect(await ask(t2 + 1000)).toEqual([green])
    expect(await ask(t3 + 1000)).toEqual([red!.id])
    expect(await ask(t1 - 1000)).toEqual([])

    expect((await mem.history(blue)).map((h) => h.op)).toEqual(['store', 'supersede'])
    const superseded = events.filter((e) => e.type === 'superseded')
    expect(superseded.map((e) => [e.ids[0], e.detail?.by])).toEqual([
      [blue, green],
      [green, red!.id],
    ])
    expect(await mem.count()).toBe(1)
  })

  it('different scopes, subjects or attributes never supersede each other; the same value does not either', async () => {
    const mem = await open()
    const a = await mem.store('My favourite colour is blue', { scope: { userId: 'u1' } })
    await mem.store('My favourite colour is green', { scope: { userId: 'u2' } })
    await mem.store("Anna's favourite colour is green", { scope: { userId: 'u1' } })
    await mem.store('My favourite food is pasta', { scope: { userId: 'u1' } })
    await mem.store('Honestly, my favourite colour is blue', { scope: { userId: 'u1' } })
    expect((await mem.get(a)).validTo).toBeUndefined()
    expect(await mem.count()).toBe(5)
  })

  it('a dated import older than the current fact is stored as already superseded', async () => {
    const c = clock()
    const mem = await open({ now: c.now })
    const now = await mem.store('I live in Berlin')
    const older = await mem.store('I live in Munich', { createdAt: c.now() - 365 * DAY })
    expect(await mem.get(older)).toMatchObject({ validTo: c.now(), supersededBy: now })
    expect((await mem.get(now)).validTo).toBeUndefined()
    const [hit] = await mem.recall('where do I live', { peek: true, asOf: c.now() - 100 * DAY })
    expect(hit!.memory.id).toBe(older)
  })

  it('within one batch the newer statement wins', () => {
    const make = (id: string, content: string, createdAt: number) => fakeRecord({ id, content, createdAt, type: 'preference' })
    const plan = planSupersession([make('b', 'My age is 31', 2), make('a', 'My age is 30', 1)], () => [], 3)
    expect(plan).toEqual([{ oldId: 'a', newId: 'b', at: 2 }])
  })

  it('supersession is durable and survives reopening', async () => {
    const store = memoryDriver()
    const c = clock()
    const mem = await open({ store, now: c.now })
    const a = await mem.store('I work at Initech')
    c.advance(DAY)
    const b = await mem.store('I now work at Globex')
    await mem.close()
    const again = await open({ store, now: c.now })
    expect(await again.get(a)).toMatchObject({ supersededBy: b, validTo: c.now() })
    expect((await again.recall('where do I work', { peek: true })).map((h) => h.memory.id)).toEqual([b])
  })

  it('a callback decides instead of the heuristic, after the store is durable', async () => {
    const calls: string[][] = []
    const mem = await open({
      policy: {
        supersede: {
          decide: async (incoming, candidates) => {
            calls.push(candidates.map((c) => c.content))
            return incoming.content.includes('cancelled')
              ? candidates.filter((c) => c.content.toLowerCase().includes('dentist')).map((c) => c.id)
              : []
          },
        },
      },
    })
    const appointment = await mem.store('Dentist appointment on Friday at 10')
    const colour = await mem.store('My favourite colour is blue')
    await mem.store('My favourite colour is green')
    const cancel = await mem.store('The dentist appointment on Friday was cancelled')
    await mem.flush()
    expect(await mem.get(appointment)).toMatchObject({ supersededBy: cancel })
    expect((await mem.get(colour)).validTo).toBeUndefined()
    expect(calls.length).toBeGreaterThan(0)
  })

  it('a slow callback never holds up later writes; flush waits for it', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const mem = await open({
      policy: {
        supersede: {
          decide: async (incoming, candidates) => {
            await gate
            return incoming.content.startsWith('Standup') ? candidates.filter((c) => c.content.startsWith('Standup')).map((c) => c.id) : []
          },
        },
      },
    })
    const first = await mem.store('Standup is at 9:30 in room A')
    const second = await mem.store('Standup is at 9:30 in room B now')
    const third = await mem.store('Unrelated: bring a jacket')
    expect((await mem.get(first)).validTo).toBeUndefined()
    const flushed = mem.flush()
    release()
    await flushed
    expect((await mem.get(first)).supersededBy).toBe(second)
    expect((await mem.get(second)).validTo).toBeUndefined()
    expect((await mem.get(third)).validTo).toBeUndefined()
  })

  it('can be switched off', async () => {
    const mem = await open({ policy: { supersede: { enabled: false } } })
    const a = await mem.store('My favourite colour is blue')
    await mem.store('My favourite colour is green')
    expect((await mem.get(a)).validTo).toBeUndefined()
  })
})
