import { MAX_PICTURE_PX } from '@lptool/core';
import type { TopLevelSpec } from 'vega-lite';
import { FONT_FAMILY } from './render.js';

export interface HeatmapInput {
  title: string;
  subtitle?: string;
  /** Row labels, top to bottom. */
  rows: string[];
  /** Column labels (dates), left to right. */
  columns: string[];
  cells: { row: string; column: string; value: number }[];
  valueTitle: string;
  width?: number;
}

/** Rows × columns coloured by value (e.g. enclosures × days, discharged kWh); size grows with the grid so labels stay readable. */
export function heatmapSpec(input: HeatmapInput): TopLevelSpec {
  // cells shrink (to 1 px at the least) so the picture stays within MAX_PICTURE_PX a side, labels and title included
  const room = MAX_PICTURE_PX - 1000;
  const fit = (n: number, want: number, least: number) =>
    Math.max(1, Math.min(Math.max(least, want), Math.floor(room / Math.max(1, n))));
  const cell = fit(input.columns.length, Math.min(22, Math.floor(900 / Math.max(1, input.columns.length))), 6);
  const rowH = fit(input.rows.length, Math.min(18, Math.floor(2400 / Math.max(1, input.rows.length))), 8);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 12,
    config: {
      font: FONT_FAMILY,
      view: { stroke: null },
      axis: { labelFontSize: Math.min(11, rowH - 1), titleFontSize: 12 },
    },
    title: {
      text: input.title,
      ...(input.subtitle ? { subtitle: input.subtitle } : {}),
      anchor: 'start',
      fontSize: 15,
      subtitleFontSize: 11,
      subtitleColor: '#555',
    },
    width: Math.min(input.width ?? cell * input.columns.length, room),
    height: rowH * input.rows.length,
    data: { values: input.cells },
    mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: {
        field: 'column',
        type: 'ordinal',
        sort: input.columns,
        axis: { title: null, labelAngle: -60, labelOverlap: true },
      },
      y: { field: 'row', type: 'ordinal', sort: input.rows, axis: { title: null } },
      color: {
        field: 'value',
        type: 'quantitative',
        title: input.valueTitle,
        scale: { scheme: 'viridis', zero: true },
      },
    },
  } as TopLevelSpec;
}
