/** Loggers: silent by default, console on request. */
import type { Logger } from './types.js'

export const silentLogger: Logger = { debug() {}, warn() {}, error() {} }

export const consoleLogger: Logger = {
  debug: (msg, data) => console.debug(`[engram] ${msg}`, data ?? ''),
  warn: (msg, data) => console.warn(`[engram] ${msg}`, data ?? ''),
  error: (msg, data) => console.error(`[engram] ${msg}`, data ?? ''),
}
