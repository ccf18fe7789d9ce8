import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A throwaway PostgreSQL cluster for tests and the bench: initdb in a temp folder, a server on a free loopback
 * port, stopped and removed by `stop()` (and, as a last resort, when the process exits). The server refuses to
 * run as root, so as root it runs as the `postgres` system user (through runuser) in a folder given to it.
 */
export interface PgCluster {
  port: number;
  dir: string;
  /** The superuser this cluster was made with, and its password. */
  user: string;
  password: string;
  url(options?: { user?: string; password?: string; database?: string; port?: number }): string;
  stop(): void;
}

/** The folder holding initdb/pg_ctl: the PATH's, else Debian's newest /usr/lib/postgresql/<v>/bin. */
export function findPgBin(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => /^\d+$/.test(v)) : [];
  for (const v of versions.sort((a, b) => Number(b) - Number(a))) {
    const dir = path.join(base, v, 'bin');
    if (fs.existsSync(path.join(dir, 'initdb'))) return dir;
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Where the cluster's folder goes: as root, /tmp (the postgres user must reach it, whatever $TMPDIR is). */
const baseDir = (asPostgres: boolean) => (asPostgres && fs.existsSync('/tmp') ? '/tmp' : os.tmpdir());

/** The command line that runs a binary as `postgres`: runuser (util-linux, in sbin), else su. */
function asPostgresUser(bin: string, args: string[]): [string, string[]] {
  const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((f) => fs.existsSync(f));
  if (runuser) return [runuser, ['-u', 'postgres', '--', bin, ...args]];
  const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
  return ['su', ['postgres', '-s', '/bin/sh', '-c', [bin, ...args].map(quote).join(' ')]];
}

/** Run a server binary as the right user: ourselves, or `postgres` when we are root. */
function runAs(bin: string, args: string[], asPostgres: boolean): void {
  const [cmd, argv] = asPostgres ? asPostgresUser(bin, args) : [bin, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', cwd: baseDir(asPostgres) });
  if (r.status !== 0)
    throw new Error(`${path.basename(bin)} ${args[0]} failed (${r.status ?? r.error}): ${r.stderr || r.stdout}`);
}

export interface StartOptions {
  /** Durable settings (fsync on) for measuring; tests turn fsync off. Default false. */
  durable?: boolean;
}

export async function startPgCluster(options: StartOptions = {}): Promise<PgCluster> {
  const bin = findPgBin();
  if (!bin)
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian package postgresql (.ci/run does)',
    );
  const asPostgres = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(baseDir(asPostgres), 'lptool-pg-'));
  const user = 'lptool_test';
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  fs.writeFileSync(path.join(dir, 'pwfile'), `${password}\n`);
  if (asPostgres) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    fs.chownSync(dir, uid, gid);
    fs.chownSync(path.join(dir, 'pwfile'), uid, gid);
  }
  const data = path.join(dir, 'data');
  const port = await freePort();
  let running = false;
  const stop = () => {
    if (running) {
      running = false;
      try {
        runAs(path.join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate', '-w'], asPostgres);
      } catch {
        /* already gone */
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    process.removeListener('exit', stop);
  };
  process.on('exit', stop);
  try {
    const init = [
      '-D',
      data,
      '-U',
      user,
      `--pwfile=${path.join(dir, 'pwfile')}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
      '--no-sync',
    ];
    runAs(path.join(bin, 'initdb'), init, asPostgres);
    const settings = [
      `-p ${port}`,
      `-k ${dir}`,
      "-c listen_addresses='127.0.0.1'",
      ...(options.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ];
    runAs(
      path.join(bin, 'pg_ctl'),
      ['start', '-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', settings.join(' ')],
      asPostgres,
    );
    running = true;
  } catch (e) {
    stop();
    throw e;
  }
  return {
    port,
    dir,
    user,
    password,
    url: (o = {}) =>
      `postgres://${encodeURIComponent(o.user ?? user)}:${encodeURIComponent(o.password ?? password)}@127.0.0.1:${o.port ?? port}/${o.database ?? 'postgres'}`,
    stop,
  };
}
