// Browser tests need Debian's chromium, which npm cannot bring. Install it when we can (root + apt),
// otherwise stop with the one command that fixes it. Never skip silently.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

export const CHROMIUM = process.env.ENGRAM_CHROMIUM ?? '/usr/bin/chromium'

export function ensureChromium() {
  if (existsSync(CHROMIUM)) return CHROMIUM
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.log('engram: browser tests need chromium; installing it with apt-get ...')
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    const update = spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env })
    const install = update.status === 0 && spawnSync('apt-get', ['install', '-y', '-q', 'chromium'], { stdio: 'inherit', env })
    if (install && install.status === 0 && existsSync(CHROMIUM)) return CHROMIUM
  }
  console.error(`engram: browser tests need Debian's chromium at ${CHROMIUM}. Fix it with:\n\n    sudo apt-get install -y chromium\n`)
  process.exit(2)
}
