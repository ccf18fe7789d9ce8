#!/usr/bin/env node
// `pnpm build` bundles the program (run.ts and everything it imports) into dist/bundle/lptool.js: one file
// loads ~90 ms faster than the ~300 modules it is made of, and every cron run pays that start-up.
const bundle = './bundle/lptool.js';
await import(bundle).catch((e: NodeJS.ErrnoException) => {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('bundle')) throw e;
  process.stderr.write('lptool: LPT_INTERNAL: the bundled program is missing — run `pnpm build`\n');
  process.exitCode = 3;
});
