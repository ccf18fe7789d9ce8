/**
 * The report in a real browser: a synth site with faults and BESS telemetry
 * goes through the real CLI (sort → build → merge → gaps → bess → report), and
 * Debian's Chromium opens index.html from file:// with no network.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, withReportPage } from '../../../report/src/browser-check.js';
import { lptool, tempDir } from '../testing.js';

/** Where the test leaves its screenshots for a person to look at (outside the temp site, which is removed). */
const SHOTS = path.join(os.tmpdir(), 'lptool-report-browser-test');

const work = tempDir('lptool-report-browser-');
const root = path.join(work.dir, 'site');
let gapsJson: { profiles: { file: string; gaps: unknown[] }[] };
let index: string;

function ok(args: string[], codes = [0]) {
  const r = lptool(args);
  if (!codes.includes(r.code)) throw new Error(`lptool ${args.join(' ')} → ${r.code}: ${r.stderr}`);
  return r;
}

beforeAll(() => {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set LPTOOL_CHROMIUM`);
  // 6 meters over the 2024 fall-back night, two exports never delivered, one with a row lost, a re-delivery
  // and a corrected re-export; two days of BESS telemetry
  ok([
    ...['synth', 'site', '--out', root, '--meters', '6', '--days', '42', '--start', '2024-10-14', '--seed', '3'],
    ...['--gaps', '2', '--sequence-errors', '1', '--duplicates', '1', '--overlaps', '1'],
  ]);
  ok(['synth', 'bess', '--out', path.join(root, 'bess'), '--inverters', '2', '--days', '3', '--extra-columns', '5']);
  ok(['sort', '--root', root, '--settle', '0'], [1]);
  ok(['build', '--root', root], [1]);
  ok(['merge', '--root', root]);
  gapsJson = JSON.parse(ok(['gaps', '--root', root, '--json']).stdout);
  ok(['bess', '-c', path.join(root, 'bess/bess.yaml')], [0, 1]);
  const r = ok(['report', '--root', root, '--json']);
  index = JSON.parse(r.stdout).index;
}, 120_000);
afterAll(() => work.cleanup());

describe('lptool report in headless Chromium', () => {
  it('draws every chart from file:// with no errors and no network, brushing zooms the detail, the gap counts are gaps --json', async () => {
    await withReportPage(index, async ({ page, check }) => {
      expect(check.consoleErrors).toEqual([]);
      expect(check.failedRequests).toEqual([]);
      expect(check.network).toEqual([]);
      expect(check.readyMs).toBeLessThan(3000);

      // every chart container got a view, and every view put marks on the screen
      expect(check.empty).toEqual([]);
      const ids = check.charts.map((c) => c.id).sort();
      expect(ids).toEqual(['bess-heatmap', 'bess-ratios', 'completeness', 'meter', 'peak-shares', 'total']);
      for (const c of check.charts) {
        expect(c.renderer, c.id).not.toBe('none');
        expect(c.items, c.id).toBeGreaterThan(0);
        expect(c.drawn, c.id).toBeGreaterThan(0);
      }

      // the gap count of every profile on the page is the one `lptool gaps --json` gives
      const onPage = await page.$$eval('table.meters tr[data-profile]', (rows) =>
        rows.map((r) => [r.getAttribute('data-profile'), Number(r.getAttribute('data-gaps'))]),
      );
      const expected = gapsJson.profiles.map((p) => [path.basename(p.file, '.csv'), p.gaps.length]);
      expect(Object.fromEntries(onPage)).toEqual(Object.fromEntries(expected));
      const total = expected.reduce((s, [, n]) => s + (n as number), 0);
      expect(total).toBeGreaterThan(0);
      expect(await page.$eval('a.card[data-card="gaps"] .value', (e) => e.textContent)).toBe(String(total));

      // brushing the overview changes the detail's domain to the brushed span
      const scale = (name: string) =>
        page.evaluate(`window.lptoolReport.views.meter.scale('${name}').domain().map(Number)`) as Promise<number[]>;
      const before = await scale('detail_x');
      const plot = await page.$('#chart-meter g.overview_group > g > path.background');
      await plot!.scrollIntoViewIfNeeded();
      const box = (await plot!.boundingBox())!;
      const y = box.y + box.height / 2;
      // start outside the current brush (the detail's domain): a drag inside it would move it, not draw a new one
      const overview = await scale('overview_x');
      const middle = ((before[0]! + before[1]!) / 2 - overview[0]!) / (overview[1]! - overview[0]!);
      const from = middle > 0.5 ? 0.1 : 0.6;
      const [x1, x2] = [box.x + box.width * from, box.x + box.width * (from + 0.15)];
      await page.mouse.move(x1, y);
      await page.mouse.down();
      await page.mouse.move(x2, y, { steps: 5 });
      await page.mouse.up();
      const after = await scale('detail_x');
      expect(after).not.toEqual(before);
      const at = (x: number) => overview[0]! + ((x - box.x) / box.width) * (overview[1]! - overview[0]!);
      const px = (overview[1]! - overview[0]!) / box.width;
      expect(Math.abs(after[0]! - at(x1))).toBeLessThan(3 * px);
      expect(Math.abs(after[1]! - at(x2))).toBeLessThan(3 * px);

      // readable at 1280 px: nothing wider than the window
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);

      // a screenshot for a person to look at, and the page as it prints
      fs.mkdirSync(SHOTS, { recursive: true });
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: path.join(SHOTS, 'report.png'), fullPage: true });
      await page.emulateMedia({ media: 'print' });
      expect(await page.evaluate("getComputedStyle(document.querySelector('nav')).display")).toBe('none');
      await page.pdf({ path: path.join(SHOTS, 'report.pdf'), format: 'A4', landscape: true });
      expect(fs.statSync(path.join(SHOTS, 'report.pdf')).size).toBeGreaterThan(10_000);
      console.log(`report screenshot: ${path.join(SHOTS, 'report.png')} (and report.pdf, as printed)`);
    });
  }, 60_000);

  it('a DST day with 100 intervals is full; a click on the heatmap opens that meter and day', async () => {
    await withReportPage(index, async ({ page }) => {
      const fallBack = (await page.evaluate(`(() => {
        const d = window.LPTOOL_REPORT, k = d.heatmap.dates.indexOf('2024-11-03');
        return d.profiles.filter((p) => p.perColumn).map((p) => [p.name, p.perColumn[k], d.heatmap.expected[k]]);
      })()`)) as [string, number, number][];
      expect(fallBack.length).toBe(6);
      for (const [, , expected] of fallBack) expect(expected).toBe(100);
      expect(fallBack.some(([, present]) => present === 100)).toBe(true);

      // the least complete meter is shown first, its detail on its latest gap: the line breaks there
      const rows = (await page.evaluate('window.LPTOOL_REPORT.heatmap.rows')) as string[];
      expect(await page.evaluate('window.lptoolReport.shown.meter')).toBe(rows[0]);
      const lines = await page.$$eval('#chart-meter g.mark-line.role-mark > path', (ps) =>
        ps.map((p) => (p.getAttribute('d') ?? '').split('M').length - 1),
      );
      expect(lines).toHaveLength(2); // overview, detail
      expect(lines[1]).toBeGreaterThanOrEqual(2);
      // clicking another meter's cell opens it on that day
      const target = rows[rows.length - 1]!;
      const point = (await page.evaluate(`(() => {
        const v = window.lptoolReport.views.completeness;
        const cell = v.scenegraph().root.items[0].items.find((m) => m.role === 'mark').items
          .find((i) => i.datum.meter === ${JSON.stringify(target)} && i.datum.date === '2024-11-03');
        const r = document.querySelector('#chart-completeness canvas').getBoundingClientRect();
        const [ox, oy] = v.origin();
        return [r.left + ox + cell.x + cell.width / 2, r.top + oy + cell.y + cell.height / 2];
      })()`)) as [number, number];
      await page.mouse.click(point[0], point[1]);
      await page.waitForFunction(`window.lptoolReport.shown.meter === ${JSON.stringify(target)}`);
      const domain = (await page.evaluate(
        "window.lptoolReport.views.meter.scale('detail_x').domain().map(Number)",
      )) as number[];
      const day = Date.UTC(2024, 10, 3); // the wall-clock midnight of 2024-11-03, as drawn
      expect(domain[0]).toBeLessThan(day);
      expect(domain[1]).toBeGreaterThan(day + 86_400_000);
    });
  }, 60_000);

  it('a site with nothing built yet: the page loads and says so, without an error', async () => {
    const empty = path.join(work.dir, 'empty');
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, 'lptool.yaml'), 'timezone: America/Los_Angeles\n');
    ok(['report', '--root', empty]);
    await withReportPage(path.join(empty, 'lp/report/index.html'), async ({ page, check }) => {
      expect([check.consoleErrors, check.failedRequests, check.network, check.empty, check.charts]).toEqual([
        [],
        [],
        [],
        [],
        [],
      ]);
      expect(check.readyMs).toBeGreaterThan(0);
      expect(await page.textContent('#completeness')).toContain('No meter profiles in lp/ yet');
    });
  }, 60_000);
});
