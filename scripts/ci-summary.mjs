// Prints `N passed, N failed` from vitest's JSON report; a test file that failed to load counts as a failure.
import { readFileSync } from 'node:fs'

let report
try {
  report = JSON.parse(readFileSync(process.argv[2] ?? '.vitest-report.json', 'utf8'))
} catch {
  console.log('0 passed, 1 failed')
  process.exit(1)
}
const brokenFiles = report.testResults.filter((file) => file.status === 'failed' && file.assertionResults.length === 0).length
const passed = report.numPassedTests
const failed = report.numFailedTests + brokenFiles
console.log(`${passed} passed, ${failed} failed`)
process.exit(passed > 0 && failed === 0 ? 0 : 1)
