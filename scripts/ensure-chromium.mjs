// Some tests need programs npm cannot bring: Debian's chromium (browser tests) and tmux (the CLI's
// terminal session test). Install what is missing when we can (root + apt); otherwise stop with the one
// command that fixes it. Never skip silently.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

export const CHROMIUM = process.env.ENGRAM_CHROMIUM ?? '/usr/bin/chromium'

const hasTmux = () => spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0

/** Make sure the system packages the tests need are there; `chromium` only when browser tests run. */
export function ensureSystemTools({ chromium = true } = {}) {
  const missing = []
  if (chromium && !existsSync(CHROMIUM)) missing.push('chromium')
  if (!hasTmux()) missing.push('tmux')
  if (missing.length === 0) return
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.log(`engram: the tests need ${missing.join(' and ')}; installing with apt-get ...`)
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    const update = spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env })
    if (update.status === 0) spawnSync('apt-get', ['install', '-y', '-q', ...missing], { stdio: 'inherit', env })
  }
  const still = missing.filter((m) => (m === 'tmux' ? !hasTmux() : !existsSync(CHROMIUM)))
  if (still.length === 0) return
  console.error(`engram: the tests need Debian's ${still.join(' and ')}. Fix it with:\n\n    sudo apt-get install -y ${still.join(' ')}\n`)
  process.exit(2)
}
