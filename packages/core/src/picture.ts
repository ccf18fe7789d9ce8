import { LptError } from './errors.js';

/** The largest picture side lptool draws, in pixels (after `--scale`): 10,000 × 10,000 is 400 MB of RGBA already. */
export const MAX_PICTURE_PX = 10_000;

/**
 * Picture sizes are bounded, for every command that draws: each side, times
 * the pixel density, at most MAX_PICTURE_PX. Beyond it a usage error (exit 2)
 * — checked before anything is written — instead of minutes of rasterising.
 */
export function checkPictureSize(width: number, height: number, scale = 1, what = '--width/--height/--scale'): void {
  const w = width * scale;
  const h = height * scale;
  if (!(w <= MAX_PICTURE_PX && h <= MAX_PICTURE_PX)) {
    throw new LptError(
      'LPT_USAGE',
      `${what} — expected a picture of at most ${MAX_PICTURE_PX} px a side (width × scale, height × scale), got ${Math.round(w)} × ${Math.round(h)} px`,
      { key: what },
    );
  }
}
