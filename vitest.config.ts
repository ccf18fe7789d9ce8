import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));
const packages = [
  'core',
  'io',
  'archive',
  'plot',
  'sort',
  'profiles',
  'merge',
  'gaps',
  'bess',
  'bess-format',
  'synth',
  'stats',
  'report',
  'export',
  'site',
  'cli',
];

export default defineConfig({
  resolve: {
    // Tests run against the sources; the end-to-end tests run the built CLI.
    alias: packages.map((p) => ({ find: `@lptool/${p}`, replacement: src(p) })),
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'bench/**/*.test.ts'],
    globalSetup: ['./vitest.setup.ts'],
    env: { TZ: 'America/Los_Angeles' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: process.env.LPTOOL_TEST_JSON
      ? ['default', ['json', { outputFile: process.env.LPTOOL_TEST_JSON }]]
      : ['default'],
  },
});
