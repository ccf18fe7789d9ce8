import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { exitCodeFor } from './output.js';
import { lptool, REPO, siteFrom } from './testing.js';

/** The commands that show examples in their --help (export's and synth's subcommands for them). */
const WITH_EXAMPLES = [
  'init',
  'doctor',
  'sort',
  'build',
  'merge',
  'gaps',
  'bess',
  'demo',
  'stats',
  'resample',
  'export parquet',
  'export postgres',
];

describe('lptool — the command frame', () => {
  it('--help lists every command of the product', () => {
    const r = lptool(['--help']);
    expect(r.code).toBe(0);
    for (const c of [...WITH_EXAMPLES.filter((c) => !c.startsWith('export ')), 'synth', 'export'])
      expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(r.stdout).not.toContain('not built yet');
    expect(r.stdout).toContain(
      'Exit codes: 0 ok · 1 finished but rejected/flagged something · 2 usage or configuration error · 3 internal failure',
    );
  });

  it.each(WITH_EXAMPLES)('lptool %s --help shows examples', (cmd) => {
    const r = lptool([...cmd.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n {2}\$ lptool /);
  });

  it('stats and resample without a profile are usage errors', () => {
    expect(lptool(['stats']).code).toBe(2);
    expect(lptool(['resample', 'x.csv']).code).toBe(2); // --to is required
  });

  it('usage errors exit 2 with one readable line', () => {
    const r = lptool(['sort', '--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--no-such-flag'/);
    expect(lptool(['frobnicate']).code).toBe(2);
    expect(lptool(['build', '--on-bad-row', 'maybe']).code).toBe(2);
  });

  it("commander's usage errors are lptool's line — LPT_USAGE, exit 2 — with commander's hint kept", () => {
    const cases: [string[], string][] = [
      [['stats', '--frm', 'x'], "unknown option '--frm' — did you mean --from? (run lptool stats --help for usage)"],
      [['statz'], "unknown command 'statz' — did you mean stats? (run lptool --help for usage)"],
      [['export', 'parqet'], "unknown command 'parqet' — did you mean parquet? (run lptool --help for usage)"],
      [['resample'], "missing required argument 'profile' (run lptool resample --help for usage)"],
      [
        ['resample', 'x.csv', '--every'],
        "option '--every <bucket>' argument missing (run lptool resample --help for usage)",
      ],
      [['--bogus'], "unknown option '--bogus' (run lptool --help for usage)"],
      [['synth', 'site'], "required option '-o, --out <dir>' not specified (run lptool synth site --help for usage)"],
    ];
    for (const [args, line] of cases) {
      const r = lptool(args);
      expect([args.join(' '), r.code, r.stdout, r.stderr]).toEqual([
        args.join(' '),
        2,
        '',
        `lptool: LPT_USAGE: ${line}\n`,
      ]);
    }
    // under --json: the envelope on stdout carries the same line; stderr says it as always
    const json = lptool(['stats', '--frm', 'x', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error).toEqual({
      code: 'LPT_USAGE',
      message: "unknown option '--frm' — did you mean --from? (run lptool stats --help for usage)",
      exit: 2,
    });
    expect(json.stderr).toMatch(/^lptool: LPT_USAGE: unknown option '--frm'/);
    // help is not an error
    for (const args of [['--help'], ['help'], ['help', 'x'], ['help', 'gaps'], ['gaps', '--help'], ['-V']])
      expect([args.join(' '), lptool(args).code]).toEqual([args.join(' '), 0]);
  });

  it('a missing site is a clear error, not a stack trace', () => {
    const r = lptool(['sort', '--root', '/nonexistent/site']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /LPT_CONFIG: site root — expected a folder with meter-data\.csv, got nothing at \/nonexistent\/site;/,
    );
  });

  it('--root, then $LPTOOL_ROOT, then the current directory', () => {
    const s = siteFrom('sort/input');
    try {
      const viaEnv = lptool(['sort', '--dry-run', '--settle', '0'], { env: { LPTOOL_ROOT: s.root } });
      expect(viaEnv.stdout).toContain(`sort ${s.root}:`);
      const viaCwd = lptool(['sort', '--dry-run', '--settle', '0'], { cwd: s.root });
      expect(viaCwd.stdout).toContain(`sort ${fs.realpathSync(s.root)}:`);
    } finally {
      s.cleanup();
    }
  });

  it('`pnpm lptool` resolves relative paths against the caller’s folder', () => {
    const s = siteFrom('sort/input');
    try {
      // what pnpm sets when it runs the root "lptool" script from a subfolder
      const r = spawnSync(
        process.execPath,
        [path.join(REPO, 'packages/cli/dist/bin.js'), 'sort', '--root', '.', '--dry-run', '--settle', '0'],
        {
          cwd: REPO,
          env: { ...process.env, npm_lifecycle_event: 'lptool', INIT_CWD: s.root },
          encoding: 'utf8',
        },
      );
      expect(r.stdout).toContain(`sort ${fs.realpathSync(s.root)}:`);
    } finally {
      s.cleanup();
    }
  });

  it('in process, main() maps errors to exit codes: usage 2, anything unexpected 3', async () => {
    const err: string[] = [];
    const io = { out: () => {}, err: (s: string) => err.push(s) };
    expect(await main(['gaps', '--width', 'wide'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/--width — expected a positive number/);
    expect(exitCodeFor(new TypeError('boom'), io)).toBe(3);
    expect(err[err.length - 1]).toMatch(/^lptool: LPT_INTERNAL: boom/);
  });
});

describe('lptool demo', () => {
  it('runs the pipeline on a fresh copy of the sample site and reports each step', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lptool-demo-test-'));
    try {
      fs.rmSync(out, { recursive: true });
      const r = lptool(['demo', '--out', out]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /1\. lptool sort +exit 1\n +62 exports archived into data\/KW\/\{2024-10,2024-11\}, 1 rejected, 1 duplicate/,
      );
      // exactly the faults synth injected (fixtures/sample-site/synth-manifest.json)
      const manifest = JSON.parse(fs.readFileSync(path.join(out, 'synth-manifest.json'), 'utf8'));
      const seq = manifest.faults.sequenceErrors[0];
      expect(r.stdout).toContain(
        `rejected ${seq.file} → data/KW/ERROR/${seq.file.replace('.csv', '_SEQUENCE-ERROR.csv')} (+ .json): line ${seq.line}: time break`,
      );
      expect(r.stdout).toContain(`duplicate ${manifest.faults.duplicates[0].copy} → data/KW/DUPLICATE/`);
      const gap = manifest.faults.gaps[0];
      expect(r.stdout).toContain(
        `lp/${gap.name}.csv: 1 gap — ${gap.gap_start} → ${gap.gap_end} (${gap.missing_intervals})`,
      );
      expect(r.stdout).toContain(
        `lp/${seq.name}.csv: 1 gap — ${seq.gap_start} → ${seq.gap_end} (${seq.missing_intervals})`,
      );
      // the total dips by a whole feeder on both days: not "0 gaps" and nothing more — its partial totals are listed
      expect(r.stdout).toContain(
        `lp/all.csv: 0 gaps; 192 partial totals (feeders_reporting < feeders_expected) — ${gap.gap_start} → ${gap.gap_end} (96); ${seq.gap_start} → ${seq.gap_end} (96)`,
      );
      const ov = manifest.faults.overlaps[0];
      expect(r.stdout).toContain(
        `conflict ${ov.start}: kept data/KW/${ov.start.slice(0, 7)}/${ov.reexport} (kw_del=${ov.kw_del} `,
      );
      expect(r.stdout).toContain('DST day 2024-11-03 (100 intervals)');
      expect(r.stdout).toMatch(
        /5\. lptool bess +exit 0\n +2 inverters, 4 inputs, 12 enclosures, 2 days \(Australia\/Sydney\) from 1 telemetry files/,
      );
      expect(fs.existsSync(path.join(out, 'bess/out/discharged_heatmap.png'))).toBe(true);
      for (const p of ['lp/all_gaps.png', 'lp/north_gaps.png', 'lp/all.csv', '.processed-hashes.json'])
        expect(fs.existsSync(path.join(out, p))).toBe(true);
      // a second demo into the same (now full) folder is refused
      const again = lptool(['demo', '--out', out]);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/--out — expected a new or empty folder/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('bin.js: the bundle and its code cache', () => {
  it('writes the cache on the first run, and a damaged or missing bundle or cache never changes what runs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lptool-bin-'));
    try {
      const dist = path.join(REPO, 'packages/cli/dist');
      fs.copyFileSync(path.join(dist, 'bin.js'), path.join(dir, 'bin.js'));
      fs.mkdirSync(path.join(dir, 'bundle'));
      fs.copyFileSync(path.join(dist, 'bundle/lptool.cjs'), path.join(dir, 'bundle/lptool.cjs'));
      const run = () => spawnSync(process.execPath, [path.join(dir, 'bin.js'), '--version'], { encoding: 'utf8' });
      const caches = () => fs.readdirSync(path.join(dir, 'bundle')).filter((f) => f.endsWith('.v8cache'));
      expect(run().stdout.trim()).toBe('0.1.0');
      expect(caches()).toHaveLength(1);
      const cache = path.join(dir, 'bundle', caches()[0]!);
      const size = fs.statSync(cache).size;
      expect(size).toBeGreaterThan(1000);
      // a cut cache is rejected by V8 and written again
      fs.truncateSync(cache, 200);
      expect(run().stdout.trim()).toBe('0.1.0');
      expect(fs.statSync(cache).size).toBeGreaterThan(size / 2);
      // a rebuilt bundle (other size or mtime) never reads the old cache: it gets its own
      fs.appendFileSync(path.join(dir, 'bundle/lptool.cjs'), '\n');
      expect(run().stdout.trim()).toBe('0.1.0');
      expect(caches()).toHaveLength(2);
      fs.rmSync(path.join(dir, 'bundle/lptool.cjs'));
      const r = run();
      expect(r.status).toBe(3);
      expect(r.stderr).toBe('lptool: LPT_INTERNAL: the bundled program is missing — run `pnpm build`\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
