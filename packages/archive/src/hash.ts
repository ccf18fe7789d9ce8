import { createHash } from 'node:crypto';
import fs from 'node:fs';

/** The read buffer, one per thread, reused (a new 1 MB buffer a file is an mmap and a munmap each). */
let chunk: Buffer | null = null;

/** SHA-256 of a file's bytes, in hex, read in 1 MB chunks (never the whole file in memory). */
export function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    chunk ??= Buffer.allocUnsafe(1 << 20);
    const buf = chunk;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}
