export { type BessSynthOptions, synthBess } from './bess.js';
export { cents, gaussian, labelMaker, mulberry32 } from './random.js';
export { applyDeliveryTimes, type SiteSynthOptions, type SynthManifest, synthSite } from './site.js';
