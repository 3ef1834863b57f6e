/**
 * How every test and bench launches Debian's chromium: never a browser a tool downloads, and with the
 * background networking off (this machine's closed network refuses those connections).
 */
export const CHROMIUM = process.env.ENGRAM_CHROMIUM ?? '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]
