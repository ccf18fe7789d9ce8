import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** End-to-end tests run the built CLI, as users do: build and bundle it once before the run (~2 s). */
export default function setup(): void {
  const root = fileURLToPath(new URL('.', import.meta.url));
  const run = (...args: string[]) => execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  run(fileURLToPath(new URL('./node_modules/typescript/bin/tsc', import.meta.url)), '-b', 'packages/cli');
  run('scripts/bundle.mjs');
}
