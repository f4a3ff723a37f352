/** Prints the Markdown summary of a results file: node --import tsx bench/report.ts FILE.json */
import { readFileSync } from 'node:fs';
import { renderReport } from './lib/report.js';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node --import tsx bench/report.ts bench/results/<file>.json\n');
  process.exit(2);
}
process.stdout.write(renderReport(JSON.parse(readFileSync(file, 'utf8'))));
