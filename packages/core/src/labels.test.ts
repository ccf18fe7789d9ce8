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
