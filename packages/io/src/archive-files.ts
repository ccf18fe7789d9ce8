import fs from 'node:fs';
import path from 'node:path';

/** An archived export as it lies in `data/KW/YYYY-MM/`. */
export interface ArchivedFile {
  /** `data/KW/2024-07/north-….csv`: the key of the build manifest. */
  rel: string;
  full: string;
  size: number;
  mtimeMs: number;
}

/** Month folders of the archive: `YYYY-MM` (the local month of each export's first interval). */
export const MONTH_FOLDER = /^\d{4}-\d{2}$/;

/** Every archived export (`data/KW/YYYY-MM/*.csv`, regular files, not hidden), in path order; only lstat, no reads. */
export function archivedFiles(archive: string, root: string): ArchivedFile[] {
  const out: ArchivedFile[] = [];
  let months: string[];
  try {
    months = fs.readdirSync(archive).filter((m) => MONTH_FOLDER.test(m));
  } catch {
    return out;
  }
  const base = path.relative(root, archive).split(path.sep).join('/');
  for (const month of months.sort()) {
    let names: string[];
    try {
      names = fs.readdirSync(path.join(archive, month));
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (name.startsWith('.') || !/\.csv$/i.test(name)) continue;
      const full = path.join(archive, month, name);
      const st = fs.lstatSync(full, { throwIfNoEntry: false });
      if (st?.isFile()) out.push({ rel: `${base}/${month}/${name}`, full, size: st.size, mtimeMs: st.mtimeMs });
    }
  }
  return out;
}
