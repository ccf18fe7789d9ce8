import { LptError } from '@lptool/core';
import pg from 'pg';

/** A PostgreSQL target: what pg needs, and how it may be shown (never with the password). */
export interface PgTarget {
  config: pg.ClientConfig;
  /** `user@host:port/database`: for messages, logs and the summary. */
  display: string;
  host: string;
  user: string;
  password: string | undefined;
}

/** `postgres://user:password@host:port/database?sslmode=…` → a target; a bad URL is a usage error that never echoes it. */
export function parsePgUrl(url: string | undefined, connectTimeoutMs: number): PgTarget {
  if (!url)
    throw new LptError(
      'LPT_USAGE',
      '--url — expected postgres://user:password@host:port/database (or LPTOOL_PG_URL), got none',
      {
        key: '--url',
      },
    );
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    u = new URL('invalid:');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new LptError(
      'LPT_USAGE',
      `--url — expected postgres://user:password@host:port/database, got a value that does not start with postgres:// (not shown: it may hold a password)`,
      { key: '--url' },
    );
  }
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const host = decodeURIComponent(u.hostname) || u.searchParams.get('host') || 'localhost';
  const port = u.port || '5432';
  const database = decodeURIComponent(u.pathname.slice(1)) || undefined;
  const user = u.username ? decodeURIComponent(u.username) : undefined;
  const display = `${user ? `${user}@` : ''}${host}:${port}/${database ?? ''}`;
  return {
    config: {
      connectionString: url,
      connectionTimeoutMillis: connectTimeoutMs,
      application_name: 'lptool export',
    },
    display,
    host: `${host}:${port}`,
    user: user ?? '(default user)',
    password,
  };
}

/** Anything shown from an error: the password (and its URL-encoded form) cut out, whatever the source. */
export function redact(text: string, target: PgTarget): string {
  let out = text;
  for (const secret of [target.password, target.password && encodeURIComponent(target.password)]) {
    if (secret && secret.length > 0) out = out.split(secret).join('***');
  }
  return out;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
]);

/** A failed connect → exit 2 with one line naming the host (and the user for a refused login). */
export function connectError(e: unknown, target: PgTarget): LptError {
  const err = e as { code?: string; message?: string };
  const message = redact(err.message ?? String(e), target);
  if (err.code === '28P01' || err.code === '28000')
    return new LptError(
      'LPT_DB_AUTH',
      `postgres ${target.host} — expected to log in as ${target.user}, got refused: ${message}`,
    );
  if (err.code === '3D000')
    return new LptError(
      'LPT_DB_UNREACHABLE',
      `postgres ${target.host} — expected an existing database, got: ${message}`,
    );
  if ((err.code && UNREACHABLE.has(err.code)) || /timeout|terminated|connect/i.test(message))
    return new LptError(
      'LPT_DB_UNREACHABLE',
      `postgres ${target.host} — expected a server to answer, got ${err.code ?? message} (is it running, and are host and port right?)`,
    );
  return new LptError('LPT_DB_UNREACHABLE', `postgres ${target.host} — expected to connect, got: ${message}`);
}

/** A connected client, or an exit-2 error naming the host. */
export async function connect(target: PgTarget): Promise<pg.Client> {
  const client = new pg.Client(target.config);
  client.on('error', () => {}); // a dropped connection surfaces as the failure of the query in flight
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw connectError(e, target);
  }
  return client;
}
