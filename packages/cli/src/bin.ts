#!/usr/bin/env node
import fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/*
 * Runs the program bundled by `pnpm build` (bundle/lptool.cjs: run.ts and everything it imports) through V8's
 * code cache: a command starts without parsing and compiling 1.3 MB of JavaScript again (~40 ms of a cron run).
 * The cache is written beside the bundle by the first run that has none (or whose cache V8 rejects, e.g. after a
 * Node upgrade), atomically, and only if that folder is writable; its name carries the bundle's size and mtime,
 * since V8 itself checks only the source's length.
 */
const file = fileURLToPath(new URL('./bundle/lptool.cjs', import.meta.url));
let source: string;
let stat: fs.Stats;
try {
  source = fs.readFileSync(file, 'utf8');
  stat = fs.statSync(file);
} catch {
  process.stderr.write('lptool: LPT_INTERNAL: the bundled program is missing — run `pnpm build`\n');
  process.exit(3);
}
const cacheFile = `${file}.${stat.size}-${Math.trunc(stat.mtimeMs)}.v8cache`;
let cachedData: Buffer | undefined;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  /* none yet */
}
const script = new vm.Script(Module.wrap(source), { filename: file, ...(cachedData ? { cachedData } : {}) });
// the bundle loads the plot, report and export packages (ES modules, only when used) through this (see scripts/bundle.mjs)
Object.assign(globalThis, { lptoolImport: (specifier: string) => import(specifier) });
if (!cachedData || script.cachedDataRejected) {
  process.once('exit', () => {
    const temp = `${cacheFile}.${process.pid}`;
    try {
      fs.writeFileSync(temp, script.createCachedData());
      fs.renameSync(temp, cacheFile);
    } catch {
      fs.rmSync(temp, { force: true }); // a read-only install only starts slower
    }
  });
}
const mod = { exports: {} };
script.runInThisContext()(mod.exports, createRequire(file), mod, file, path.dirname(file));
