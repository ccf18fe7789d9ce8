import { describe, expect, it } from 'vitest';
import { parseLabel } from './labels.js';

const wall = (s: string) => Date.parse(`${s}Z`);

describe('parseLabel', () => {
  it.each([
    ['07/12/24 11:00:00', '2024-07-12T11:00:00'],
    ['07/12/2024 11:00:00', '2024-07-12T11:00:00'],
    ['07/12/24 11:00', '2024-07-12T11:00:00'],
    ['7/2/2024 9:05', '2024-07-02T09:05:00'],
    [' 07/12/24  11:00:00 ', '2024-07-12T11:00:00'],
    ['2024-07-12T11:00:00', '2024-07-12T11:00:00'],
    ['2024-07-12 11:00', '2024-07-12T11:00:00'],
    ['02/29/24 00:00:00', '2024-02-29T00:00:00'],
  ])('reads %j as a naive wall time', (label, iso) => {
    const p = parseLabel(label);
    expect(p?.wall).toBe(wall(iso));
    expect(p?.offsetMs).toBeNaN();
  });

  it.each([
    ['2024-07-12T11:00:00-07:00', '2024-07-12T11:00:00', -7 * 60],
    ['2024-07-12T11:00:00+0530', '2024-07-12T11:00:00', 330],
    ['2024-07-12T18:00:00Z', '2024-07-12T18:00:00', 0],
    ['2024-07-12T11:00:00.250+10:00', '2024-07-12T11:00:00.250', 600],
  ])('reads %j with its offset', (label, iso, offsetMin) => {
    const p = parseLabel(label);
    expect(p?.wall).toBe(wall(iso));
    expect(p?.offsetMs).toBe(offsetMin * 60_000);
  });

  it.each([
    '',
    'garbage',
    '13/01/24 00:00:00',
    '02/30/24 00:00:00',
    '02/29/23 00:00:00',
    '07/12/24 24:00:00',
    '07/12/24 11:60:00',
    '07/12/24',
    '07/12/245 11:00:00',
    '2024-07-12T11:00:00+25:00',
    '2024-07-12T11:00:00 junk',
    '1720800000',
  ])('rejects %j', (label) => {
    expect(parseLabel(label)).toBeNull();
  });
});

describe('parseLabel — years', () => {
  it.each([
    ['0024-03-01T00:00:00-07:00', '0024-03-01T00:00:00'],
    ['0024-03-01 00:00', '0024-03-01T00:00:00'],
    ['03/01/0024 00:00:00', '0024-03-01T00:00:00'],
    ['02/29/0000 12:00', '0000-02-29T12:00:00'],
    ['12/31/0099 23:59:59', '0099-12-31T23:59:59'],
    ['03/01/99 00:00:00', '2099-03-01T00:00:00'],
    ['03/01/00 00:00:00', '2000-03-01T00:00:00'],
    ['03/01/1969 00:00:00', '1969-03-01T00:00:00'],
  ])('reads %j as its own year (0000–0099 never become 19xx; two digits are 20YY)', (label, iso) => {
    expect(parseLabel(label)?.wall).toBe(wall(iso));
    expect(new Date(parseLabel(label)!.wall).toISOString().slice(0, 19)).toBe(iso);
  });
});
