import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PLAIN_BUILD, siteRoots } from '../../io/src/fixtures.test-helper.js';
import { build } from './build.js';
import { type FileRecord, inputsKey, loadManifest, type Manifest, ManifestSchema, manifestText } from './manifest.js';

/**
 * loadManifest checks the manifest lptool wrote by hand (a cron run parses it every time) and sends anything
 * else through zod. The two must agree: on a manifest as written, the same data (lastEnd null → NaN); on any
 * edit of it — a key dropped, an unknown key added, a value of another type — the same data (zod strips unknown
 * keys) or the same LPT_MANIFEST_CORRUPT message.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lpt-manifest-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** What loadManifest gives for this JSON value: the data, or the error's message. */
function load(value: unknown): { data: unknown } | { error: string } {
  const file = path.join(dir, `m${n++}.json`);
  fs.writeFileSync(file, JSON.stringify(value));
  try {
    return { data: loadManifest(file) };
  } catch (e) {
    return { error: (e as Error).message };
  } finally {
    fs.rmSync(file);
  }
}
/** What zod alone gives (the path every manifest took before the hand check). */
function viaZod(value: unknown): { data: unknown } | { error: string } {
  const r = ManifestSchema.safeParse(JSON.parse(JSON.stringify(value))); // (as read from the file)
  if (r.success) return { data: r.data };
  const issue = r.error.issues[0]!;
  return {
    error: `build manifest — expected lptool's JSON, got ${issue.path.join('.') || 'top level'} — ${issue.message}`,
  };
}
const sameOutcome = (value: unknown) => {
  const got = load(value);
  const want = viaZod(value);
  if ('data' in want) expect(got).toEqual(want);
  else {
    expect('error' in got, JSON.stringify(value).slice(0, 300)).toBe(true);
    // (the rest of the message names the file it was read from)
    expect((got as { error: string }).error.split('; nothing was built')[0]).toBe(want.error);
  }
};

const stamp = fc.record(
  { size: fc.nat(), mtimeMs: fc.double({ min: 0, max: 2e12, noNaN: true }), ctimeMs: fc.nat(), ino: fc.nat() },
  { requiredKeys: ['size', 'mtimeMs'] },
);
const fileRecord = fc.record(
  {
    size: fc.nat(),
    mtimeMs: fc.nat(),
    hash: fc.string({ unit: fc.constantFrom(...'0123456789abcdef') }),
    meter: fc.string(),
    first: fc.string(),
  },
  { requiredKeys: ['size', 'mtimeMs', 'hash', 'meter'] },
);
const meterRecord = fc.record(
  {
    inputsKey: fc.string({ unit: fc.constantFrom(...'0123456789abcdef') }),
    settingsKey: fc.string({ unit: fc.constantFrom(...'0123456789abcdef') }),
    paths: fc.array(fc.string(), { maxLength: 4 }),
    files: fc.dictionary(fc.string(), fc.string({ unit: fc.constantFrom(...'0123456789abcdef') }), { maxKeys: 3 }),
    builtAt: fc.string(),
    output: stamp,
    shadow: fc.option(stamp),
    settings: fc.record({ timezone: fc.string(), clock: fc.string(), intervalMs: fc.nat() }),
    rows: fc.nat(),
    first: fc.option(fc.string()),
    lastEnd: fc.option(fc.integer()),
    lastDay: fc.option(fc.record({ day: fc.integer(), count: fc.nat() })),
  },
  { requiredKeys: ['inputsKey', 'settingsKey', 'builtAt', 'output', 'rows', 'first', 'lastEnd', 'lastDay'] },
);
const manifest = fc.record({
  version: fc.constant(1),
  files: fc.dictionary(fc.string({ minLength: 1 }), fileRecord, { maxKeys: 4 }),
  meters: fc.dictionary(fc.string({ minLength: 1 }), meterRecord, { maxKeys: 3 }),
});
/** A value of another kind than most manifest fields. */
const other = fc.oneof(
  fc.constant(null),
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.constant([1]),
);

/** Every (object, key) pair inside a JSON value, outermost first. */
function slots(v: unknown, out: [Record<string, unknown>, string][] = []): [Record<string, unknown>, string][] {
  if (typeof v === 'object' && v !== null)
    for (const k of Object.keys(v)) {
      out.push([v as Record<string, unknown>, k]);
      slots((v as Record<string, unknown>)[k], out);
    }
  return out;
}

describe('loadManifest: the hand check agrees with the schema', () => {
  it('on manifests as lptool writes them: the same data', () => {
    fc.assert(
      fc.property(manifest, (m) => {
        const got = load(m);
        expect(got).toEqual(viaZod(m));
        expect('data' in got).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('on edited ones (a key dropped, an unknown one added, a value of another type): the same data or the same error', () => {
    fc.assert(
      fc.property(manifest, fc.nat(), fc.constantFrom('drop', 'add', 'retype'), other, (generated, at, how, value) => {
        const m = structuredClone(generated);
        const all = slots(m);
        if (!all.length) return;
        const [obj, key] = all[at % all.length]!;
        if (how === 'drop') delete obj[key];
        else if (how === 'add') obj[`x${key}`] = structuredClone(value);
        else obj[key] = structuredClone(value);
        sameOutcome(m);
      }),
      { numRuns: 600 },
    );
  });

  it('a record keyed "__proto__" (which zod drops) gives what zod gives', () => {
    const text = '{"version":1,"files":{"__proto__":{"size":1,"mtimeMs":2,"hash":"h","meter":"m"}},"meters":{}}';
    const file = path.join(dir, 'proto.json');
    fs.writeFileSync(file, text);
    expect(loadManifest(file)).toEqual(ManifestSchema.parse(JSON.parse(text)));
    expect(Object.hasOwn(loadManifest(file).files, '__proto__')).toBe(false);
  });

  it('a manifest with lastEnd null (a profile without rows) ends at NaN, as the schema made it', () => {
    const m = {
      version: 1,
      files: {},
      meters: {
        north: {
          inputsKey: 'a',
          settingsKey: 'b',
          paths: [],
          builtAt: 'now',
          output: { size: 1, mtimeMs: 2, ctimeMs: 3, ino: 4 },
          shadow: null,
          rows: 0,
          first: null,
          lastEnd: null,
          lastDay: null,
        },
      },
    };
    const got = load(m) as { data: { meters: Record<string, { lastEnd: number }> } };
    expect(got.data.meters.north!.lastEnd).toBeNaN();
  });
});

describe('the manifest of a cron run', () => {
  const roots = siteRoots();
  const manifestOf = (root: string) => path.join(root, 'lp/.build-manifest.json');
  const statuses = async (root: string) =>
    (await build({ ...PLAIN_BUILD, root })).meters.map((m: { status: string }) => m.status);

  it('a build that finds everything up to date does not write it again; any change does', async () => {
    const root = roots.fixture('build/legal/input');
    await build({ ...PLAIN_BUILD, root });
    const file = manifestOf(root);
    const before = fs.statSync(file);
    expect(await statuses(root)).toEqual(['up-to-date', 'up-to-date', 'up-to-date']);
    const after = fs.statSync(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]); // not replaced
    // one more day of east: appended, and the manifest says so
    const src = fs.readFileSync(path.join(root, 'data/KW/2024-07/east.csv'), 'utf8');
    fs.writeFileSync(path.join(root, 'data/KW/2024-07/east-13.csv'), src.replaceAll('07/12/24', '07/13/24'));
    expect(await statuses(root)).toEqual(['up-to-date', 'up-to-date', 'appended']);
    expect(fs.statSync(file).ino).not.toBe(before.ino);
    expect(loadManifest(file).meters.east!.paths).toContain('data/KW/2024-07/east-13.csv');
  });

  it("a hand-edited manifest is still read as it is now, and rewritten in lptool's form", async () => {
    const root = roots.fixture('build/legal/input');
    await build({ ...PLAIN_BUILD, root });
    const file = manifestOf(root);
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    // the same data, laid out otherwise: nothing to build, but the file is lptool's again afterwards
    fs.writeFileSync(file, JSON.stringify(m, null, 2));
    expect(await statuses(root)).toEqual(['up-to-date', 'up-to-date', 'up-to-date']);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${JSON.stringify(m)}\n`);
    // a meter's record removed: that meter is built again, and recorded again
    delete m.meters.north;
    fs.writeFileSync(file, JSON.stringify(m));
    expect(await statuses(root)).toEqual(['built', 'up-to-date', 'up-to-date']);
    expect(Object.keys(loadManifest(file).meters).sort()).toEqual(['east', 'north', 'south']);
  });
});

describe('the manifest as written', () => {
  const textOf = (m: Manifest, files?: ReadonlyMap<string, FileRecord>) => {
    const pieces: string[] = [];
    manifestText(m, files, (p) => pieces.push(p));
    return pieces.join('');
  };
  const recordOf = (i: number): FileRecord => ({
    size: 1000 + i,
    mtimeMs: 1.7e12 + i / 7,
    hash: createHash('sha256').update(String(i)).digest('hex'),
    meter: `feeder-${i % 50}`,
    first: `01/${String((i % 28) + 1).padStart(2, '0')}/23 00:00:00`,
  });

  it('is JSON.stringify of the manifest (its files, or the listing given in their place), in any key order', () => {
    fc.assert(
      fc.property(
        manifest,
        fc.dictionary(fc.string({ minLength: 1 }), fileRecord, { maxKeys: 4 }),
        fc.boolean(),
        (m, listed, reversed) => {
          const mm = (reversed ? Object.fromEntries(Object.entries(m).reverse()) : m) as Manifest;
          expect(textOf(mm)).toBe(`${JSON.stringify(mm)}\n`);
          const files = new Map(Object.entries(listed) as [string, FileRecord][]);
          expect(textOf(mm, files)).toBe(`${JSON.stringify({ ...mm, files: Object.fromEntries(files) })}\n`);
        },
      ),
    );
  });

  it('in pieces of ~64 KB for a big listing (5,000 files), the same text', () => {
    const files = new Map(Array.from({ length: 5000 }, (_, i) => [`data/KW/2023-01/f-${i}.csv`, recordOf(i)] as const));
    const m: Manifest = { version: 1, files: { stale: recordOf(-1) }, meters: {} };
    const pieces: string[] = [];
    manifestText(m, files, (p) => pieces.push(p));
    expect(pieces.length).toBeGreaterThan(5);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(1 << 17);
    expect(pieces.join('')).toBe(`${JSON.stringify({ ...m, files: Object.fromEntries(files) })}\n`);
  });

  it('loadManifest keeps no copy of the text it read (15 MB at 1,000 meters, held through a whole run)', () => {
    const files = Object.fromEntries(
      Array.from({ length: 40_000 }, (_, i) => [`data/KW/2023-01/f-${i}.csv`, recordOf(i)]),
    );
    const file = path.join(dir, 'big.json');
    fs.writeFileSync(file, `${JSON.stringify({ version: 1, files, meters: {} })}\n`);
    const bytes = fs.statSync(file).size;
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    expect(Object.keys(loadManifest(file).files)).toHaveLength(40_000); // (read, checked by hand, dropped)
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(bytes).toBeGreaterThan(6 << 20);
    expect(grown).toBeLessThan(2 << 20); // (the text kept: > 6 MB)
  });
});

describe('inputsKey', () => {
  /** The key as lptool has always taken it: one hash update per file, over a sorted copy. */
  const reference = (settings: unknown, files: { path: string; hash: string }[]) => {
    const h = createHash('sha256').update(JSON.stringify(settings));
    for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) h.update(`\n${f.path}\t${f.hash}`);
    return h.digest('hex');
  };
  it('is the same key for any list, in order or not (so no profile is rebuilt by this change)', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.uniqueArray(fc.record({ path: fc.string({ unit: 'binary' }), hash: fc.string() }), {
          selector: (f) => f.path,
          maxLength: 30,
        }),
        fc.boolean(),
        (settings, files, sort) => {
          const list = sort ? [...files].sort((a, b) => (a.path < b.path ? -1 : 1)) : files;
          expect(inputsKey(settings, list)).toBe(reference(settings, list));
        },
      ),
      { numRuns: 500 },
    );
  });
});
