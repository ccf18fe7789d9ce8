// The program: what bin.js runs (from the bundle `pnpm build` makes of this file and everything it imports).
import { main } from './cli.js';

// `pnpm lptool …` runs from the repo root: resolve relative paths against the caller's folder instead.
if (process.env.npm_lifecycle_event === 'lptool' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

// `lptool resample … -o - | head`: a reader that closed the pipe early is not an error (as for any Unix filter)
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`lptool: LPT_INTERNAL: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 3;
  },
);
