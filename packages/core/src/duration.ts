import { LptError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parse a duration such as `15m`, `1h`, `90s`, `1h30m`, `PT15M` or a bare number of minutes into ms.
 * `key` names the setting or flag in the error message.
 */
export function parseDuration(text: string | number, key = 'duration'): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text > 0) return text * 60_000;
    throw new LptError('LPT_BAD_DURATION', `${key} — expected a positive duration, got ${text}`, { key });
  }
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return parseDuration(Number(s), key);
  const iso = /^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/i.exec(s);
  if (iso && (iso[1] || iso[2] || iso[3])) {
    const ms = Number(iso[1] ?? 0) * 3_600_000 + Number(iso[2] ?? 0) * 60_000 + Number(iso[3] ?? 0) * 1000;
    if (ms > 0) return ms;
  }
  const re = /(\d+(?:\.\d+)?)\s*(ms|sec|min|s|m|h|d)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (UNIT_MS[m[2]!] ?? Number.NaN);
    pos = re.lastIndex;
  }
  if (pos === s.length && pos > 0 && total > 0 && Number.isFinite(total)) return Math.round(total);
  throw new LptError(
    'LPT_BAD_DURATION',
    `${key} — expected a duration like 15m, 1h, 90s or PT15M, got ${JSON.stringify(text)}`,
    { key },
  );
}

/**
 * ISO 8601 duration of an elapsed time, in hours/minutes/seconds only (`PT1H30M`, `PT36H`):
 * the time is real elapsed time, so no calendar days are used (a local day can be 23 or 25 hours).
 */
export function formatIsoDuration(ms: number): string {
  if (ms === 0) return 'PT0S';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = rest / 1000;
  return `${sign}PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${sec ? `${sec}S` : ''}`;
}

/** Short human form: `15m`, `1h`, `1h30m`, `2d3h`. */
export function formatShortDuration(ms: number): string {
  let rest = Math.abs(ms);
  const parts: string[] = [];
  for (const [u, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n) parts.push(`${n}${u}`);
    rest -= n * size;
  }
  if (rest) parts.push(`${rest}ms`);
  return (ms < 0 ? '-' : '') + (parts.join('') || '0s');
}
