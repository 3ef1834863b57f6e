/**
 * Bearer tokens for the HTTP API: `eg1.<claims>.<signature>`, where claims is base64url JSON naming
 * the namespace, the scopes, the expiry and the subject, and signature is HMAC-SHA256 over
 * `eg1.<claims>` with a secret from the environment. WebCrypto only, so the same code runs in
 * Workers, Node and browsers; signatures are checked with `crypto.subtle.verify` (constant time).
 */
import { memoryError } from '../core/errors.js'

export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const
/** `read`: recall, list, stats, export, events. `write`: store, update, forget, consolidate, summarize. `admin`: both. */
export type TokenScope = (typeof TOKEN_SCOPES)[number]

export interface TokenClaims {
  namespace: string
  scopes: TokenScope[]
  /** Epoch ms after which the token is refused. */
  expiresAt: number
  issuedAt: number
  /** Who the token was issued to (a user or service id), for logs. */
  subject?: string
}

export interface SignTokenOptions {
  namespace: string
  scopes: TokenScope[]
  /** Lifetime in seconds. @default 3600 */
  ttlSeconds?: number
  subject?: string
  /** Clock, for tests. @default Date.now */
  now?: () => number
}

/** What the HTTP handler needs from an authenticator. */
export interface Authenticator {
  /** Resolves to the request's claims or rejects with UNAUTHORIZED. */
  authenticate(request: Request): Promise<TokenClaims>
}

const PREFIX = 'eg1'
/** Namespaces are also Durable Object names and storage key parts. */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const MIN_SECRET_LENGTH = 16
const MAX_TOKEN_LENGTH = 2048
const enc = new TextEncoder()

const keyCache = new Map<string, Promise<CryptoKey>>()
function hmacKey(secret: string): Promise<CryptoKey> {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw memoryError('VALIDATION', `The token secret must be a string of at least ${MIN_SECRET_LENGTH} characters`)
  }
  let key = keyCache.get(secret)
  if (!key) {
    key = crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
    // Bounded: a process sees one or two secrets (rotation), never many.
    if (keyCache.size > 8) keyCache.clear()
    keyCache.set(secret, key)
  }
  return key
}

function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
    return Uint8Array.from(binary, (c) => c.charCodeAt(0))
  } catch {
    return null
  }
}

/**
 * Sign a token.
 * @example
 * const token = await signToken(env.ENGRAM_TOKEN_SECRET, { namespace: 'user-42', scopes: ['read', 'write'], ttlSeconds: 86400 })
 */
export async function signToken(secret: string, options: SignTokenOptions): Promise<string> {
  const { namespace, scopes, ttlSeconds = 3600, subject, now = Date.now } = options
  if (typeof namespace !== 'string' || !NAMESPACE_PATTERN.test(namespace)) {
    throw memoryError('VALIDATION', `Invalid namespace ${JSON.stringify(namespace)}: use 1-64 letters, digits, '.', '_' or '-'`)
  }
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => (TOKEN_SCOPES as readonly string[]).includes(s))) {
    throw memoryError('VALIDATION', `Invalid scopes ${JSON.stringify(scopes)}: use one or more of ${TOKEN_SCOPES.join(', ')}`)
  }
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw memoryError('VALIDATION', 'ttlSeconds must be a finite number above 0')
  }
  const issuedAt = now()
  const claims: TokenClaims = { namespace, scopes: [...new Set(scopes)], expiresAt: issuedAt + ttlSeconds * 1000, issuedAt }
  if (subject !== undefined) claims.subject = String(subject)
  const body = `${PREFIX}.${base64url(enc.encode(JSON.stringify(claims)))}`
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), enc.encode(body)))
  return `${body}.${base64url(signature)}`
}

/** Check a token's signature, shape and expiry; rejects with UNAUTHORIZED and a reason. */
export async function verifyToken(secret: string, token: string, { now = Date.now }: { now?: () => number } = {}): Promise<TokenClaims> {
  const key = await hmacKey(secret)
  const unauthorized = (why: string) => memoryError('UNAUTHORIZED', `Invalid token: ${why}`)
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw unauthorized('malformed')
  const parts = token.split('.')
  if (parts.length !== 3 || parts[0] !== PREFIX) throw unauthorized('malformed')
  const signature = fromBase64url(parts[2]!)
  const payload = fromBase64url(parts[1]!)
  if (!signature || !payload) throw unauthorized('malformed')
  const ok = await crypto.subtle.verify('HMAC', key, signature.slice(), enc.encode(`${parts[0]}.${parts[1]}`))
  if (!ok) throw unauthorized('bad signature')
  let claims: TokenClaims
  try {
    claims = JSON.parse(new TextDecoder().decode(payload)) as TokenClaims
  } catch {
    throw unauthorized('malformed claims')
  }
  if (
    !claims ||
    typeof claims.namespace !== 'string' ||
    !NAMESPACE_PATTERN.test(claims.namespace) ||
    !Array.isArray(claims.scopes) ||
    typeof claims.expiresAt !== 'number'
  ) {
    throw unauthorized('malformed claims')
  }
  if (claims.expiresAt <= now()) throw unauthorized('expired')
  return claims
}

/** The token from `Authorization: Bearer <token>`, or null. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get('authorization')
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return match ? match[1]! : null
}

/**
 * An authenticator over HMAC tokens.
 * @example
 * createHttpHandler({ auth: tokenAuth({ secret: env.ENGRAM_TOKEN_SECRET }), resolveMemory })
 */
export function tokenAuth({ secret, now = Date.now }: { secret: string; now?: () => number }): Authenticator {
  // Fail at start-up, not on the first request, when the secret is missing or short.
  void hmacKey(secret)
  return {
    async authenticate(request) {
      const token = bearerToken(request)
      if (!token) throw memoryError('UNAUTHORIZED', 'Missing bearer token: send Authorization: Bearer <token>')
      return verifyToken(secret, token, { now })
    },
  }
}

/** True when the claims grant `scope` (admin grants everything). */
export function hasScope(claims: TokenClaims, scope: TokenScope): boolean {
  return claims.scopes.includes(scope) || claims.scopes.includes('admin')
}
