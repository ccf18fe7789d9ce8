/**
 * Open a report in Debian's Chromium (headless, no network, a fresh profile)
 * and say what a person would see: whether every chart was drawn, how long
 * until it was, console errors and failed requests. For the browser test and
 * `pnpm bench`; playwright-core drives the browser the machine has (it never
 * downloads one).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.LPTOOL_CHROMIUM || '/usr/bin/chromium';
/** Headless, offline, nothing of its own fetched or synced. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ChartCheck {
  id: string;
  renderer: 'svg' | 'canvas' | 'none';
  /** Scenegraph items of the chart's marks (axes and titles not counted). */
  items: number;
  /** SVG mark elements, or canvas pixels that are not background. */
  drawn: number;
}

export interface PageCheck {
  /** From navigation start until the page said every chart was drawn (ms). */
  readyMs: number;
  consoleErrors: string[];
  failedRequests: string[];
  /** Requests for anything but file:// URLs (there must be none). */
  network: string[];
  /** Chart containers on the page with no view drawn into them. */
  empty: string[];
  charts: ChartCheck[];
}

export interface ReportPage {
  page: Page;
  check: PageCheck;
}

/**
 * Runs in the page (as text: this package's TypeScript has no DOM types): each
 * view's mark items from its scenegraph (which alternates marks {role, items}
 * and items, a group item holding marks), and what reached the screen: SVG mark
 * elements, or canvas pixels darker than the white background.
 */
const CHART_CHECK = `(() => {
  const count = (mark) => {
    let n = 0;
    for (const item of mark.items ?? []) {
      if (mark.role === 'mark') n++;
      for (const sub of item.items ?? []) n += count(sub);
    }
    return n;
  };
  const charts = Object.entries(window.lptoolReport.views).map(([id, view]) => {
    const host = document.getElementById('chart-' + id);
    const svg = host && host.querySelector('svg');
    const canvas = host && host.querySelector('canvas');
    let drawn = 0;
    if (svg) drawn = svg.querySelectorAll('g.role-mark > path, g.role-mark > rect, g.role-mark > text').length;
    else if (canvas) {
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < data.length; i += 28) if (data[i + 3] > 0 && data[i] + data[i + 1] + data[i + 2] < 740) drawn++;
    }
    return { id, renderer: svg ? 'svg' : canvas ? 'canvas' : 'none', items: count(view.scenegraph().root), drawn };
  });
  const empty = [...document.querySelectorAll('.chart')].filter((el) => !el.querySelector('svg, canvas')).map((el) => el.id);
  return { charts, empty };
})()`;

const READY = `(() => {
  const r = window.lptoolReport;
  return Boolean(r && (r.readyMs !== null || r.errors.length));
})()`;

async function chartChecks(page: Page): Promise<{ charts: ChartCheck[]; empty: string[] }> {
  return (await page.evaluate(CHART_CHECK)) as { charts: ChartCheck[]; empty: string[] };
}

/**
 * Open `index` (a report's index.html) from file:// and wait until it has
 * drawn every chart (or reported an error); `fn` gets the page and the check.
 */
export async function withReportPage<T>(
  index: string,
  fn: (r: ReportPage) => Promise<T>,
  options: { width?: number; height?: number; timeoutMs?: number } = {},
): Promise<T> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lptool-chromium-'));
  let context: BrowserContext | null = null;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const consoleErrors: string[] = [];
    const failedRequests: string[] = [];
    const network: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => failedRequests.push(`${r.url()}: ${r.failure()?.errorText ?? ''}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) network.push(r.url());
    });
    await page.goto(pathToFileURL(index).href);
    await page.waitForFunction(READY, null, { timeout: options.timeoutMs ?? 30_000 });
    const readyMs = ((await page.evaluate('window.lptoolReport.readyMs')) as number | null) ?? Number.NaN;
    const { charts, empty } = await chartChecks(page);
    return await fn({ page, check: { readyMs, consoleErrors, failedRequests, network, empty, charts } });
  } finally {
    await context?.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}
