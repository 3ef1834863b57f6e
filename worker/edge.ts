/** Cloudflare Worker entry: placeholder while the Durable Object is wired. */
export class MemoryObject {
  constructor(readonly state: { storage: unknown }) {}
  async fetch(): Promise<Response> {
    return new Response('not yet', { status: 503 })
  }
}
export default {
  async fetch(): Promise<Response> {
    return new Response('not yet', { status: 503 })
  },
}
