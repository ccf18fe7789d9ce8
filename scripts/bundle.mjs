// Bundles the built CLI (packages/cli/dist/run.js) into packages/cli/dist/bundle/lptool.cjs and the profiles
// package's build worker into bundle/worker.js, with esbuild: one file instead of ~300 modules. Measured on a no-op
// `lptool build`: 0.29 s from the modules, 0.25 s from an ES-module bundle, 0.21 s from this CommonJS bundle
// with V8's code cache (bin.js keeps it beside the bundle; CommonJS because Node 20 caches code only for
// scripts). Every cron run pays start-up. The plot and report packages stay outside: plot loads its fonts and the
// native resvg module from its own folder, report copies vega's browser builds from its own node_modules; both only
// when they are used. So does export: it loads zstd's WebAssembly from its own folder, and the PostgreSQL client.
import fs from 'node:fs';
import { build } from 'esbuild';

const outdir = 'packages/cli/dist/bundle';
/** Packages the CLI imports only when needed, from their own folders (see above). */
const LAZY = ['@lptool/plot', '@lptool/report', '@lptool/export'];
fs.rmSync(outdir, { recursive: true, force: true }); // old bundles and their code caches
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: [...LAZY],
  sourcemap: 'linked',
  minifyWhitespace: true,
  logLevel: 'warning',
};
const cli = await build({
  ...common,
  write: false,
  entryPoints: { lptool: 'packages/cli/dist/run.js' },
  outdir,
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  // the sources find the sample site and the worker beside themselves
  define: { 'import.meta.url': 'lptoolModuleUrl' },
  banner: { js: "const lptoolModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
// A script compiled from V8's code cache loses vm's dynamic-import hook (Node 20), so the bundle's import() of the
// lazy packages call bin.js's instead (an ES module, resolving from the same folder).
fs.mkdirSync(outdir, { recursive: true });
for (const f of cli.outputFiles) {
  let text = f.text;
  if (f.path.endsWith('.cjs')) {
    for (const name of LAZY) {
      const call = `await import("${name}")`;
      if (!text.includes(call)) throw new Error(`bundle: expected ${call} in the CLI bundle`);
      text = text.replaceAll(call, `await globalThis.lptoolImport("${name}")`);
    }
    text = memoizedToEsm(text);
    const left = text.replaceAll('globalThis.lptoolImport(', '').match(/.{0,80}\bimport\("[^"]*"\).{0,40}/); // (esbuild prints strings in double quotes)
    if (left) throw new Error(`bundle: a dynamic import() is left in the CLI bundle: ${left[0]}`);
  }
  fs.writeFileSync(f.path, text);
}
await build({
  ...common,
  entryPoints: { worker: 'packages/profiles/dist/worker.js' },
  outdir,
  format: 'esm',
  // CommonJS dependencies (pino) call require(): give the ES module one
  banner: {
    js: "import { createRequire as lptoolCreateRequire } from 'node:module'; const require = lptoolCreateRequire(import.meta.url);",
  },
});

/**
 * esbuild wraps each `import fs from 'node:fs'` as `__toESM(require("node:fs"), 1)`: a new object with a getter
 * per export of the module, made again for every module that imports it (36 times for node:fs and node:path in
 * this bundle, 10–25 ms of every command's start). Such a wrapper is only read, so one per module is shared.
 */
function memoizedToEsm(text) {
  const helper = 'var __toESM=(mod,isNodeMode,target)=>(';
  if (!text.includes(helper)) throw new Error(`bundle: expected esbuild's helper ${helper}… in the CLI bundle`);
  return text.replace(
    helper,
    'var __toESMShared=new WeakMap(),__toESM=(mod,isNodeMode,target)=>{if(!isNodeMode||mod==null||typeof mod!=="object")return __toESMNew(mod,isNodeMode,target);let w=__toESMShared.get(mod);if(!w)__toESMShared.set(mod,w=__toESMNew(mod,isNodeMode));return w},__toESMNew=(mod,isNodeMode,target)=>(',
  );
}
