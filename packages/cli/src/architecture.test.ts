/**
 * The import rule of docs/ARCHITECTURE.md, held: its package table is parsed here, and every package's
 * package.json, tsconfig references and source imports (tests' too: only the CLI's tests may run the built CLI,
 * through its testing.ts) must keep to it. A package may list only packages of lower layers (formats may build on
 * formats); no command imports another. Each SPEC rule's file must hold the function named. The page cannot rot.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './testing.js';

const LAYERS = ['core', 'io', 'formats', 'commands', 'cli'] as const;
type Layer = (typeof LAYERS)[number];
interface Row {
  name: string;
  layer: Layer;
  mayImport: string[] | 'any';
}

/** The package table between its markers: `| \`@lptool/x\` | layer | responsibility | a, b |`. */
function table(): Map<string, Row> {
  const doc = fs.readFileSync(path.join(REPO, 'docs/ARCHITECTURE.md'), 'utf8');
  const body = doc.slice(doc.indexOf('<!-- packages:begin -->'), doc.indexOf('<!-- packages:end -->'));
  const rows = new Map<string, Row>();
  for (const line of body.split('\n')) {
    const m = /^\|\s*`@lptool\/([a-z-]+)`\s*\|\s*([a-z]+)\s*\|[^|]+\|([^|]+)\|$/.exec(line.trim());
    if (!m) continue;
    const list = m[3]!.trim();
    rows.set(m[1]!, {
      name: m[1]!,
      layer: m[2] as Layer,
      mayImport: list === 'any' ? 'any' : list === '—' ? [] : list.split(',').map((s) => s.trim()),
    });
  }
  return rows;
}

const PACKAGES = fs
  .readdirSync(path.join(REPO, 'packages'))
  .filter((d) => fs.existsSync(path.join(REPO, 'packages', d, 'package.json')))
  .sort();

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (/\.(ts|js|mjs)$/.test(e.name)) out.push(f);
    }
  };
  walk(dir);
  return out;
}

/**
 * The test support every package's tests may use (temp sites, fixtures, golden files): it imports no package. The
 * CLI's testing.ts, which runs the built CLI, is the CLI package's: only its tests reach it.
 */
const SUPPORT = path.join(REPO, 'packages/io/src/fixtures.test-helper.ts');

/** The lptool packages a file imports: `@lptool/x` (static or dynamic) and relative paths into another package. */
function importsOf(file: string, own: string, support?: string): { packages: string[]; escapes: string[] } {
  const text = fs.readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g),
    ...text.matchAll(/export\s+(?:\*|\{[^}]*\})\s+from\s+['"]([^'"]+)['"]/g),
  ].map((m) => m[1]!);
  const packages = new Set<string>();
  const escapes: string[] = [];
  for (const s of specifiers) {
    const scoped = /^@lptool\/([a-z-]+)/.exec(s);
    if (scoped) packages.add(scoped[1]!);
    if (!s.startsWith('.')) continue;
    const resolved = path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts');
    if (resolved === support) continue;
    const target = path.relative(path.join(REPO, 'packages'), resolved);
    if (target.startsWith('..')) continue;
    const pkg = target.split(path.sep)[0]!;
    if (pkg !== own) {
      packages.add(pkg);
      escapes.push(s);
    }
  }
  return { packages: [...packages], escapes };
}

const json = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));
const rows = table();
const isTest = (f: string) => /\.test(-helper)?\.ts$|\/cli\/src\/testing\.ts$/.test(f);

describe('docs/ARCHITECTURE.md: the packages and what each may import', () => {
  it('has a row for every package and a package for every row', () => {
    expect([...rows.keys()].sort()).toEqual(PACKAGES);
  });

  it('lets a package import only lower layers (formats may build on formats): commands never import commands', () => {
    for (const row of rows.values()) {
      if (row.mayImport === 'any') {
        expect(row.layer, row.name).toBe('cli');
        continue;
      }
      for (const dep of row.mayImport) {
        const other = rows.get(dep);
        expect(other, `${row.name} may import ${dep}, which has no row`).toBeDefined();
        const [mine, theirs] = [LAYERS.indexOf(row.layer), LAYERS.indexOf(other!.layer)];
        const ok = theirs < mine || (row.layer === 'formats' && other!.layer === 'formats');
        expect(ok, `${row.name} (${row.layer}) may not import ${dep} (${other!.layer})`).toBe(true);
      }
    }
  });

  it.each(PACKAGES)('%s: package.json and tsconfig references declare only what the page allows', (pkg) => {
    const row = rows.get(pkg)!;
    const manifest = json(path.join(REPO, 'packages', pkg, 'package.json'));
    const deps = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })
      .filter((d) => d.startsWith('@lptool/'))
      .map((d) => d.slice('@lptool/'.length));
    const refs = (json(path.join(REPO, 'packages', pkg, 'tsconfig.json')).references ?? []).map((r: { path: string }) =>
      path.basename(r.path),
    );
    if (row.mayImport !== 'any') {
      expect(
        deps.filter((d) => !row.mayImport.includes(d as never)),
        'dependencies',
      ).toEqual([]);
      expect(
        refs.filter((d: string) => !row.mayImport.includes(d as never)),
        'tsconfig references',
      ).toEqual([]);
    }
    expect([...refs].sort(), 'tsconfig references = the workspace dependencies').toEqual([...deps].sort());
  });

  it.each(PACKAGES)('%s: its sources import only what package.json declares and the page allows', (pkg) => {
    const row = rows.get(pkg)!;
    const manifest = json(path.join(REPO, 'packages', pkg, 'package.json'));
    const declared = Object.keys(manifest.dependencies ?? {}).map((d) => d.replace('@lptool/', ''));
    const used = new Set<string>();
    for (const f of files(path.join(REPO, 'packages', pkg, 'src')).filter((f) => !isTest(f))) {
      const { packages, escapes } = importsOf(f, pkg);
      const rel = path.relative(REPO, f);
      expect(escapes, `${rel}: a relative import into another package`).toEqual([]);
      for (const p of packages) {
        used.add(p);
        expect(declared, `${rel} imports @lptool/${p}: not in package.json`).toContain(p);
        if (row.mayImport !== 'any') expect(row.mayImport, `${rel} imports @lptool/${p}`).toContain(p);
      }
    }
    // declare only what is imported (the CLI also declares what its bundle loads from node_modules: plot …)
    if (row.mayImport !== 'any')
      expect(
        declared.filter((d) => d.startsWith('@') === false && rows.has(d) && !used.has(d)),
        'declared, never imported',
      ).toEqual([]);
  });

  it('the test support imports no package', () => {
    expect(importsOf(SUPPORT, 'io').packages.filter((p) => p !== 'io')).toEqual([]);
  });

  it.each(PACKAGES)('%s: its tests import its own package and what it may import (the CLI’s: anything)', (pkg) => {
    const row = rows.get(pkg)!;
    for (const f of files(path.join(REPO, 'packages', pkg, 'src')).filter(isTest)) {
      const rel = path.relative(REPO, f);
      const { packages } = importsOf(f, pkg, SUPPORT);
      if (row.mayImport !== 'any')
        for (const p of packages) expect([pkg, ...row.mayImport], `${rel} imports ${p}`).toContain(p);
    }
  });

  it('names, for each SPEC rule, files that hold the functions it names', () => {
    const doc = fs.readFileSync(path.join(REPO, 'docs/ARCHITECTURE.md'), 'utf8');
    const rows = doc
      .slice(doc.indexOf('## Where each SPEC rule lives'))
      .split('\n')
      .filter((l) => /^\|\s*§\d/.test(l))
      .map((l) => l.split('|').map((c) => c.trim()));
    expect(rows.length).toBeGreaterThan(15);
    for (const [, rule, , files, functions] of rows) {
      const paths = [...files!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
      const names = [...functions!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
      const text = paths.map((p) => fs.readFileSync(path.join(REPO, p), 'utf8')).join('\n');
      for (const n of names)
        expect(text, `${rule}: ${n} in ${paths.join(', ')}`).toMatch(
          new RegExp(`(function|class|const|interface) ${n}\\b`),
        );
    }
  });
});
