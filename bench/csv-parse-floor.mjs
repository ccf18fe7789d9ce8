// The floor build is measured against: csv-parse (sync, whole buffer per file, arrays) over every archived export,
// doing no work per row. Usage: node bench/csv-parse-floor.mjs DIR
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(new URL('../packages/io/package.json', import.meta.url));
const { parse } = require('csv-parse/sync');
let rows = 0;
const walk = (d) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const f = path.join(d, e.name);
    if (e.isDirectory()) walk(f);
    else if (e.name.endsWith('.csv')) rows += parse(fs.readFileSync(f)).length;
  }
};
walk(process.argv[2]);
process.stdout.write(`${rows}\n`);
