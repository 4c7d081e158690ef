// Prints vitest's JSON result as one plain closing line ("N passed, N failed, N skipped") that any
// CI reader understands, and exits non-zero when a test failed or none ran.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.vitest-results.json';
const result = JSON.parse(readFileSync(file, 'utf8'));
const skipped = (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0);
console.log(
  `tests: ${result.numPassedTests} passed, ${result.numFailedTests} failed, ${skipped} skipped`,
);
process.exit(result.numFailedTests === 0 && result.numPassedTests > 0 && result.success ? 0 : 1);
