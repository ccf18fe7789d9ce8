// The byte-level floor: every archived export read whole and its lines and fields counted, byte by byte (no
// strings, no numbers) — the least any parser of these files must do. Usage: node bench/byte-floor.mjs DIR
import fs from 'node:fs';
import path from 'node:path';

let lines = 0;
let fields = 0;
const walk = (d) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const f = path.join(d, e.name);
    if (e.isDirectory()) walk(f);
    else if (e.name.endsWith('.csv')) {
      const buf = fs.readFileSync(f);
      for (let i = 0; i < buf.length; i++) {
        const c = buf[i];
        if (c === 10) lines++;
        else if (c === 44) fields++;
      }
    }
  }
};
walk(process.argv[2]);
process.stdout.write(`${lines} ${fields}\n`);
