import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** End-to-end tests run the built CLI: build it once before the run (incremental, ~1 s). */
export default function setup(): void {
  const root = fileURLToPath(new URL('.', import.meta.url));
  execFileSync(
    process.execPath,
    [fileURLToPath(new URL('./node_modules/typescript/bin/tsc', import.meta.url)), '-b', 'packages/cli'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}
