/**
 * Writing the report folder: index.html, assets/ (vega, vega-lite and
 * vega-embed from node_modules, the page's script and style), data/site.js and
 * data/series/<name>.js. Everything goes into `.<name>.writing-<pid>` beside
 * the target, which is then renamed into place (the previous report renamed
 * away first and removed after): a reader opening index.html sees a whole
 * report, the old one or the new one. Only a folder that holds an earlier
 * report (its `.lptool-report` marker) or nothing is ever replaced.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LptError } from '@lptool/core';
import { indexHtml } from './html.js';
import type { SeriesFile, SiteData } from './model.js';

const MARKER = '.lptool-report';
const require = createRequire(import.meta.url);

/** The browser builds of the vega packages: [package, file in its build folder]. */
const LIBRARIES = [
  ['vega', 'vega.min.js'],
  ['vega-lite', 'vega-lite.min.js'],
  ['vega-embed', 'vega-embed.min.js'],
] as const;
/** The page's own files, shipped in packages/report/assets/. */
const OWN_ASSETS = ['report.css', 'report.js'] as const;

function libraryFiles(): { from: string; name: string }[] {
  return LIBRARIES.flatMap(([pkg, file]) => {
    // the entry point sits in build/ beside the browser bundle; the licence at the package root
    const build = path.dirname(require.resolve(pkg));
    return [
      { from: path.join(build, file), name: file },
      { from: path.join(build, '..', 'LICENSE'), name: `${pkg}.LICENSE.txt` },
    ];
  });
}

function ownAssetDir(): string {
  return fileURLToPath(new URL('../assets/', import.meta.url));
}

/** A report may replace a missing folder, an empty one, or an earlier report; nothing else. */
function checkTarget(out: string): void {
  const st = fs.statSync(out, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isDirectory())
    throw new LptError('LPT_USAGE', `--out — expected a folder for the report, got a file ${out}`, { key: '--out' });
  const entries = fs.readdirSync(out);
  if (entries.length && !entries.includes(MARKER))
    throw new LptError(
      'LPT_USAGE',
      `--out — expected a new folder or an earlier report (with ${MARKER}), got ${out} with other files in it; nothing written`,
      { key: '--out' },
    );
}

/** Folders left by a report run that was killed (its pid is gone). */
function clearStale(out: string): void {
  const dir = path.dirname(out);
  const prefix = `.${path.basename(out)}.`;
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const m = /\.(?:writing|replaced)-(\d+)$/.exec(name);
    if (!name.startsWith(prefix) || !m) continue;
    const pid = Number(m[1]);
    let alive = pid === process.pid;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch (e) {
      alive ||= (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

const SCRIPTS = ['assets/vega.min.js', 'assets/vega-lite.min.js', 'assets/vega-embed.min.js', 'data/site.js'];

/** Write the report into `out`; returns how many files and bytes it holds. */
export function writeReportFolder(
  out: string,
  page: { site: SiteData; series: SeriesFile[] },
  generator: string,
): { files: number; bytes: number } {
  checkTarget(out);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  clearStale(out);
  const temp = path.join(path.dirname(out), `.${path.basename(out)}.writing-${process.pid}`);
  fs.rmSync(temp, { recursive: true, force: true });
  let files = 0;
  let bytes = 0;
  const put = (rel: string, data: string | Buffer) => {
    const full = path.join(temp, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, data);
    files++;
    bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  };
  try {
    for (const f of libraryFiles()) put(`assets/${f.name}`, fs.readFileSync(f.from));
    for (const f of OWN_ASSETS) put(`assets/${f}`, fs.readFileSync(path.join(ownAssetDir(), f)));
    put('data/site.js', `window.LPTOOL_REPORT = ${json(page.site)};\n`);
    for (const s of page.series) put(`data/series/${s.name}.js`, `window.LPTOOL_REPORT_SERIES(${json(s)});\n`);
    put(
      'index.html',
      indexHtml(page.site, { styles: ['assets/report.css'], scripts: [...SCRIPTS, 'assets/report.js'] }),
    );
    put(MARKER, `${JSON.stringify({ generator, gen: page.site.gen })}\n`);
    swapInto(temp, out);
  } catch (e) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw e;
  }
  return { files, bytes };
}

/** JSON that is safe inside a <script> file (no `</script>`, no line separators JS chokes on). */
function json(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Rename the new folder into place; the old one is renamed away first and then removed. */
function swapInto(temp: string, out: string): void {
  if (!fs.existsSync(out)) {
    fs.renameSync(temp, out);
    return;
  }
  const old = path.join(path.dirname(out), `.${path.basename(out)}.replaced-${process.pid}`);
  fs.rmSync(old, { recursive: true, force: true });
  fs.renameSync(out, old);
  try {
    fs.renameSync(temp, out);
  } catch (e) {
    fs.renameSync(old, out); // put the old report back
    throw e;
  }
  fs.rmSync(old, { recursive: true, force: true });
}
