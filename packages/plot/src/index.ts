export { type GapPlotInput, gapPlotSpec } from './gap-plot.js';
export { type HeatmapInput, heatmapSpec } from './heatmap.js';
export { FONT_FAMILY, type PlotFormat, type RenderOptions, renderSpec } from './render.js';
export { type DurationPoint, durationCurveSpec, type TypicalDayPoint, typicalDaySpec } from './stats-plots.js';
