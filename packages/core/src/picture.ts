import { LptError } from './errors.js';

/** The largest picture side lptool draws, in pixels (after `--scale`): 10,000 × 10,000 is 400 MB of RGBA already. */
export const MAX_PICTURE_PX = 10_000;
/**
 * The smallest side an operator may ask for, in pixels, as given and after `--scale`: below ~50 px the plot area
 * of a gap picture is gone (the renderer panicked, exit 134), and a scale that rounds a side to 0 px has nothing to
 * draw; 100 px keeps a picture that can still be read.
 */
export const MIN_PICTURE_PX = 100;

/**
 * Picture sizes are bounded, for every command that draws: each side, times the pixel density, at most
 * MAX_PICTURE_PX; and (for sizes an operator asks for: `min`) each side at least MIN_PICTURE_PX, both as given and
 * after the density. Outside them a usage error (exit 2) — checked before anything is written — instead of minutes
 * of rasterising, or a renderer crash.
 */
export function checkPictureSize(
  width: number,
  height: number,
  scale = 1,
  what = '--width/--height/--scale',
  min = MIN_PICTURE_PX,
): void {
  const w = width * scale;
  const h = height * scale;
  const asked = `${width} × ${height} px${scale === 1 ? '' : ` at scale ${scale}`}`;
  if (!(w <= MAX_PICTURE_PX && h <= MAX_PICTURE_PX)) {
    throw new LptError(
      'LPT_USAGE',
      `${what} — expected a picture of at most ${MAX_PICTURE_PX} px a side (width × scale, height × scale), got ${Math.round(w)} × ${Math.round(h)} px`,
      { key: what },
    );
  }
  if (!(Math.min(width, height, w, h) >= min)) {
    throw new LptError(
      'LPT_USAGE',
      `${what} — expected a picture of at least ${min} px a side (as given and after scale), got ${asked}`,
      { key: what },
    );
  }
}
