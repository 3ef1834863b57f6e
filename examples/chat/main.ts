/**
 * A chat page that keeps its user's memory on the device: every turn is stored by engram (in a Web
 * Worker, over IndexedDB, embedded by USE-lite), and each new message shows what engram recalled for it.
 * A service worker caches the app, the model and the wasm, so after the first visit it works offline.
 */
import modelUrl from '../../models/use-lite-int8.onnx?url'
import vocabUrl from '../../models/use-lite-vocab.json?url'
import { createMemory } from '../../src/worker.js'
import usearchUrl from '../../wasm/usearch.wasm?url'

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const status = $('status')
const log = $('log')
const recalled = $<HTMLOListElement>('recalled')
const form = $<HTMLFormElement>('form')
const input = $<HTMLInputElement>('input')
const send = $<HTMLButtonElement>('send')

// The worker resolves URLs against its own script, so hand it absolute ones.
const absolute = (url: string) => new URL(url, location.href).href

// Resolves at once: the page is usable while the model and index load in the worker.
const memory = await createMemory({
  worker: true,
  namespace: 'chat',
  embedder: { kind: 'use-lite', model: 'use-lite-int8', modelUrl: absolute(modelUrl), vocabUrl: absolute(vocabUrl) },
  index: { kind: 'usearch', wasmUrl: absolute(usearchUrl) },
  onProgress: (p) => {
    if (p.phase === 'model' && p.total) status.textContent = `loading model ${Math.round((100 * (p.loaded ?? 0)) / p.total)}%`
  },
})

function showStatus(text: string, state: 'ready' | 'failed' | '' = ''): void {
  status.textContent = text
  status.className = state
}

async function refreshStatus(): Promise<void> {
  const count = await memory.count()
  showStatus(`${count} ${count === 1 ? 'memory' : 'memories'} · ${navigator.onLine ? 'online' : 'offline'}`, 'ready')
}

function addTurn(role: 'user' | 'assistant', text: string): void {
  const div = document.createElement('div')
  div.className = `turn ${role}`
  div.textContent = text
  log.append(div)
  log.scrollTop = log.scrollHeight
}

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  const text = input.value.trim()
  if (!text) return
  input.value = ''
  send.disabled = true
  addTurn('user', text)
  try {
    const hits = await memory.recall(text, { k: 3, minRelevance: 0.2 })
    recalled.replaceChildren(
      ...hits.map((hit) => {
        const li = document.createElement('li')
        li.textContent = hit.memory.content
        return li
      }),
    )
    await memory.store(text, { type: 'episodic', scope: { conversationId: 'demo' } })
    const top = hits[0]?.memory.content
    addTurn('assistant', top ? `I remember you said: “${top}”` : 'Noted — I will remember that.')
    await refreshStatus()
  } catch (e) {
    addTurn('assistant', `Something went wrong: ${e instanceof Error ? e.message : String(e)}`)
  } finally {
    send.disabled = false
    input.focus()
  }
})

window.addEventListener('online', () => void refreshStatus())
window.addEventListener('offline', () => void refreshStatus())

memory.ready.then(
  async () => {
    await refreshStatus()
    Object.assign(window, { chatReady: true })
  },
  (e: unknown) => showStatus(`could not start: ${e instanceof Error ? e.message : String(e)}`, 'failed'),
)

// Not under the Vite dev server (import.meta.hot), where a cache-first worker would serve stale modules.
if ('serviceWorker' in navigator && !import.meta.hot) {
  await navigator.serviceWorker.register('./sw.js', { scope: './' })
}
