import fs from 'node:fs';
import path from 'node:path';
import { listArchive, listRejected, sha256File } from '@lptool/archive';
import { LptError } from '@lptool/core';
import { removeTempsOf, type SiteLayout, writeFileAtomic } from '@lptool/io';
import { z } from 'zod';

/**
 * `.processed-hashes.json`: the SHA-256 of every file `sort` has taken in and
 * where it went, plus its write-ahead journal `.processed-hashes.journal`.
 *
 * Why no file is lost or doubled, whatever instant the process dies at
 * (SPEC §3). Inputs are filed in batches (up to 256; no two of a batch with the
 * same SHA-256), each in this order:
 *
 *   1. append `intent {hash, src, dest}` of every input of the batch to the
 *      journal, then one fsync;
 *   2. move each src → dest (one rename, or copy + fsync + rename, then unlink
 *      src), then fsync every folder the renames touched, once each;
 *   3. append `done {hash}` of every input moved, then one fsync.
 *
 * So an input is moved only after its intent is durable, and its `done` is
 * written only after its move is. A batch changes how many fsyncs there are,
 * not what each record means: recovery reads the journal line by line as it
 * would for batches of one. A batch never holds two inputs with one hash (a
 * re-delivery and its original go in two batches), so a `done` settles the one
 * intent of its hash before it; the intents of a batch cut short by a file that
 * failed (left in place) stay without a `done`, and are settled as a killed
 * run's would be (those inputs are planned again, and journaled again).
 *
 * The store itself is only rewritten (temp + fsync + rename) at the end of a
 * run or when a run starts and finds a journal: it then folds the journal in.
 * An intent without its `done` is settled by looking at the files: dest
 * present with the journaled hash → the move happened (dest appears only by a
 * rename after fsync, so it is complete): record it; else the move did not
 * happen (or only a temp copy exists, which is removed): forget the intent, and
 * the file is processed again. A kill inside a batch leaves some of its inputs
 * moved and some not; each intent is settled on its own. A file under the
 * source's name is removed only when it is the journaled file left behind by a
 * cross-device copy that died before unlinking it: its own SHA-256 is the
 * journal's and it is on another file system than dest. Anything else there is
 * a new delivery (a corrected re-export under the same name, or the same bytes
 * again) and is sorted like any other. A hash is therefore recorded only once its file is durably in
 * place, every input is at any instant in the dropbox or in exactly one place
 * under data/KW/, and a re-run finishes what a killed run started.
 */

export type Outcome = 'archived' | 'error' | 'duplicate';

export interface HashEntry {
  /** Site-relative destination, `data/KW/2024-07/north.csv`. */
  dest: string;
  outcome: Outcome;
  /** The file's name in the dropbox. */
  source: string;
  at: string;
}

const EntrySchema = z.object({
  dest: z.string().min(1),
  outcome: z.enum(['archived', 'error', 'duplicate']),
  source: z.string(),
  at: z.string(),
});
const StoreSchema = z
  .object({ version: z.literal(1), files: z.record(z.string().regex(/^[0-9a-f]{64}$/), EntrySchema) })
  .strict();

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a SHA-256 in hex');
const JournalLineSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('intent'), hash: Sha256, src: z.string().min(1), entry: EntrySchema }),
  z.object({ op: z.literal('done'), hash: Sha256 }),
]);
type JournalLine = z.infer<typeof JournalLineSchema>;

export class HashStore {
  readonly files = new Map<string, HashEntry>();
  private journalFd: number | null = null;

  /** Whether the store file was there when loaded (a missing one may need `rebuildFromArchive`). */
  existed = false;

  private constructor(
    readonly root: string,
    readonly file: string,
  ) {}

  get journalFile(): string {
    return `${this.file.replace(/\.json$/, '')}.journal`;
  }

  /**
   * Load the store; a corrupt or hand-edited store, or a folder where the store or its journal belongs, is
   * LPT_HASH_STORE_CORRUPT (exit 2), never reset.
   */
  static load(root: string, file: string): HashStore {
    const store = new HashStore(root, file);
    store.mustBeAFile(file, 'hash store');
    store.mustBeAFile(store.journalFile, 'hash journal');
    let text: string | null = null;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text !== null) {
      store.existed = true;
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (e) {
        throw store.corrupt(`not valid JSON — ${(e as Error).message}`);
      }
      const r = StoreSchema.safeParse(data);
      if (!r.success) {
        const issue = r.error.issues[0]!;
        throw store.corrupt(`${issue.path.join('.') || 'top level'} — ${issue.message}`);
      }
      for (const [hash, entry] of Object.entries(r.data.files)) store.files.set(hash, entry);
    }
    return store;
  }

  private mustBeAFile(file: string, what: string): void {
    const st = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!st || st.isFile()) return;
    throw new LptError(
      'LPT_HASH_STORE_CORRUPT',
      `${what} — expected a file, got ${st.isDirectory() ? 'a folder' : st.isSymbolicLink() ? 'a symlink' : 'something else'}; nothing was moved: move it aside and run again${what === 'hash store' ? ' (the store is then rebuilt from the archive)' : ''}`,
      { file: path.basename(file) },
    );
  }

  /**
   * A store that went missing while the archive has files is rebuilt from the archive: every file under
   * `data/KW/YYYY-MM/` is recorded as archived, every reject under `ERROR/` as rejected (DUPLICATE/ holds
   * only copies of those). Without this a missing store would silently start empty and every re-delivery
   * of an archived export would be archived a second time. Returns the number of files hashed.
   */
  rebuildFromArchive(layout: SiteLayout): number {
    const add = (full: string, outcome: Outcome) => {
      const hash = sha256File(full);
      if (!this.files.has(hash)) {
        const dest = path.relative(this.root, full).split(path.sep).join('/');
        const at = new Date(fs.statSync(full).mtimeMs).toISOString();
        this.files.set(hash, { dest, outcome, source: path.basename(full), at });
      }
    };
    const archived = listArchive(layout, { csvOnly: false }).files;
    const rejected = listRejected(layout);
    for (const f of archived) add(f.full, 'archived');
    for (const f of rejected) add(f.full, 'error');
    return archived.length + rejected.length;
  }

  private corrupt(why: string): LptError {
    return new LptError(
      'LPT_HASH_STORE_CORRUPT',
      `hash store — expected lptool's JSON, got ${why}; nothing was moved. Restore it from backup, or move it aside: the next sort rebuilds it from the archive`,
      { file: path.basename(this.file) },
    );
  }

  get(hash: string): HashEntry | undefined {
    return this.files.get(hash);
  }

  /** Settle a journal left by a killed run (see the comment at the top). Returns what was recovered. */
  recover(): { recorded: number; forgotten: number; cleanedTemps: number } {
    const result = { recorded: 0, forgotten: 0, cleanedTemps: 0 };
    let text: string;
    try {
      text = fs.readFileSync(this.journalFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return result;
      throw e;
    }
    const pending = new Map<string, { src: string; entry: HashEntry }>();
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = this.journalLine(lines, i);
      if (!line) continue;
      if (line.op === 'intent') pending.set(line.hash, { src: line.src, entry: line.entry });
      else {
        const p = pending.get(line.hash);
        pending.delete(line.hash);
        if (p) {
          this.record(line.hash, p.entry);
          result.recorded++;
        }
      }
    }
    for (const [hash, { src, entry }] of pending) {
      const srcAbs = path.join(this.root, src);
      const destAbs = path.join(this.root, entry.dest);
      const base = path.basename(destAbs);
      // a killed move's temp copy, and a killed sidecar write's temp (nobody else writes there: we hold the lock)
      for (const f of [destAbs, path.join(path.dirname(destAbs), base.replace(/\.csv$/i, '.json'))])
        result.cleanedTemps += removeTempsOf(f);
      if (fs.existsSync(destAbs) && sha256File(destAbs) === hash) {
        if (isLeftBehindCopy(srcAbs, destAbs, hash)) fs.unlinkSync(srcAbs);
        this.record(hash, entry);
        result.recorded++;
      } else {
        result.forgotten++;
      }
    }
    this.save();
    fs.rmSync(this.journalFile, { force: true });
    return result;
  }

  /** Line i of the journal, checked; null for a blank line or the last line cut by a kill. */
  private journalLine(lines: string[], i: number): JournalLine | null {
    const raw = lines[i]!;
    if (!raw.trim()) return null;
    const where = { file: path.basename(this.journalFile), line: i + 1 };
    const fix =
      'nothing was moved: if no sort is running, move it aside and run again (files it lists that reached data/KW/ stay there)';
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      if (i >= lines.length - 2) return null; // the last line was cut by the kill
      throw new LptError(
        'LPT_HASH_STORE_CORRUPT',
        `hash journal — expected JSON lines, got a broken line; ${fix}`,
        where,
      );
    }
    const r = JournalLineSchema.safeParse(data);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new LptError(
        'LPT_HASH_STORE_CORRUPT',
        `hash journal — expected lptool's journal lines, got ${issue.path.join('.') || 'a line'} — ${issue.message}; ${fix}`,
        where,
      );
    }
    return r.data;
  }

  /** Journal: an intent before a move. */
  intent(hash: string, src: string, entry: HashEntry): void {
    this.intents([{ hash, src, entry }]);
  }

  /** Journal: the intents of a batch of moves, made durable with one fsync before any of them moves. */
  intents(batch: readonly { hash: string; src: string; entry: HashEntry }[]): void {
    this.append(batch.map(({ hash, src, entry }) => ({ op: 'intent', hash, src, entry })));
  }

  /** Journal: the move is durable; record the hash in memory. */
  done(hash: string, entry: HashEntry): void {
    this.doneAll([{ hash, entry }]);
  }

  /** Journal: the moves of a batch are durable (one fsync); record their hashes in memory. */
  doneAll(batch: readonly { hash: string; entry: HashEntry }[]): void {
    this.append(batch.map(({ hash }) => ({ op: 'done', hash })));
    for (const { hash, entry } of batch) this.record(hash, entry);
  }

  /** A duplicate's move never replaces the entry of the file it duplicates. */
  private record(hash: string, entry: HashEntry): void {
    if (entry.outcome !== 'duplicate') this.files.set(hash, entry);
  }

  /** Append lines to the journal (all of them: a short write is written on, so a full disk is an error) and fsync once. */
  private append(lines: readonly JournalLine[]): void {
    if (lines.length === 0) return;
    if (this.journalFd === null) this.journalFd = fs.openSync(this.journalFile, 'a');
    const bytes = Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    for (let at = 0; at < bytes.length; ) at += fs.writeSync(this.journalFd, bytes, at, bytes.length - at);
    fs.fsyncSync(this.journalFd);
  }

  /** Rewrite the store atomically (sorted, stable diffs) and drop the journal it now contains. */
  save(): void {
    const files: Record<string, HashEntry> = {};
    for (const k of [...this.files.keys()].sort()) files[k] = this.files.get(k)!;
    writeFileAtomic(this.file, `${JSON.stringify({ version: 1, files }, null, 1)}\n`);
    if (this.journalFd !== null) {
      fs.closeSync(this.journalFd);
      this.journalFd = null;
    }
    fs.rmSync(this.journalFile, { force: true });
  }
}

/**
 * Is the file at `src` the journaled input itself, left behind by a cross-device move (copy, fsync,
 * rename into place) killed before it unlinked its source? Only then may recovery delete it: it has
 * the journaled hash, and it is on another file system than dest (on one file system a move is a
 * single rename, so a file found there afterwards was delivered afterwards).
 */
function isLeftBehindCopy(src: string, dest: string, hash: string): boolean {
  const s = fs.statSync(src, { throwIfNoEntry: false });
  const d = fs.statSync(dest, { throwIfNoEntry: false });
  return !!s && !!d && s.dev !== d.dev && sha256File(src) === hash;
}
