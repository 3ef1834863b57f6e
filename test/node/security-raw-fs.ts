/** Node-only companion of test/shared/raw-scan.ts: every file under a directory (journal, temp files included). */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { RawDump } from '../shared/raw-scan.js'

export async function dumpDirectory(dir: string): Promise<RawDump> {
  const out: RawDump = []
  const walk = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const full = join(path, entry.name)
      out.push({ where: `name:${full}`, bytes: new TextEncoder().encode(entry.name) })
      if (entry.isDirectory()) await walk(full)
      else if (entry.isFile()) out.push({ where: full, bytes: new Uint8Array(await readFile(full)) })
    }
  }
  await walk(dir)
  return out
}
