import type { TopLevelSpec } from 'vega-lite';
import { FONT_FAMILY } from './render.js';

/** A point of a load duration curve: a profile's MW at the share of its intervals with at least that much. */
export interface DurationPoint {
  profile: string;
  pct: number;
  mw: number;
}

/** A point of a typical day: a profile's mean MW_net in a local hour, on weekdays or weekends. */
export interface TypicalDayPoint {
  profile: string;
  kind: 'weekday' | 'weekend';
  hour: number;
  mw: number;
}

/** What the stats pictures share: size, font, background. */
const BASE = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  background: 'white',
  padding: 12,
  width: 900,
  height: 340,
  config: { font: FONT_FAMILY },
} as const;

/** The load duration curve of `lptool stats --png`: MW_net sorted from highest to lowest, a line per profile. */
export function durationCurveSpec(input: { points: DurationPoint[]; zone: string }): TopLevelSpec {
  return {
    ...BASE,
    title: {
      text: 'Load duration curve',
      subtitle: `MW_net sorted from highest to lowest; times in ${input.zone}`,
      anchor: 'start',
    },
    data: { values: input.points },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'pct', type: 'quantitative', title: '% of intervals' },
      y: { field: 'mw', type: 'quantitative', title: 'MW_net (MW)' },
      color: { field: 'profile', type: 'nominal' },
    },
  } as TopLevelSpec;
}

/** The typical days of `lptool stats --png`: mean MW_net by local hour, weekday solid, weekend dashed. */
export function typicalDaySpec(input: { points: TypicalDayPoint[]; zone: string }): TopLevelSpec {
  return {
    ...BASE,
    title: {
      text: 'Typical day',
      subtitle: `Mean MW_net by local hour (${input.zone}); solid weekday, dashed weekend`,
      anchor: 'start',
    },
    data: { values: input.points },
    mark: { type: 'line', strokeWidth: 1.5, point: true },
    encoding: {
      x: { field: 'hour', type: 'quantitative', title: 'local hour', scale: { domain: [0, 23] } },
      y: { field: 'mw', type: 'quantitative', title: 'MW_net (MW)' },
      color: { field: 'profile', type: 'nominal' },
      strokeDash: { field: 'kind', type: 'nominal', title: 'day' },
    },
  } as TopLevelSpec;
}
