import fs from 'node:fs';
import { LptError, SiteClock } from '@lptool/core';
import { acquireLock } from './lock.js';
import { createLogger, type Logger, nullLogger } from './log.js';
import { runWarning } from './run-warnings.js';
import { loadSettings, type SettingFlags, type Settings } from './settings.js';
import { checkSiteFolders, type SiteLayout, type SitePart, siteLayout } from './site.js';

/** What every command is given about its site: the root, the setting flags, the environment. */
export interface SiteOptions extends SettingFlags {
  root: string;
  env?: NodeJS.ProcessEnv;
  /**
   * The site of a pipeline (`lptool run`) that holds its lock: a command run as one of its steps works on it —
   * its settings, clock and lock — instead of opening the site again and taking the lock a second time.
   */
  within?: Site | undefined;
}

/** How a command holds the site while it works. */
export interface SiteRun {
  /** The command as the lock and the logs name it (`sort` → holder `lptool sort`, logs `{cmd: "sort"}`). */
  command: string;
  /** Its logs, by name (`build` → logs/build.log), opened once the lock is held. */
  logs: readonly string[];
  /** How long to wait for another run's lock (ms). */
  lockWaitMs: number;
  /** Take no lock and log nothing (a dry run: it changes nothing). */
  dryRun?: boolean;
}

/**
 * A site opened by a command: its layout, its settings (flag > env > lptool.yaml > default) and the
 * clock they give, its folders checked. `locked` then holds the site lock and the command's logs
 * around the work; whatever a command checks between the two (its flags, its inputs) is reported
 * before it waits for another run's lock or writes a log line.
 */
export class Site {
  /** True while `locked` runs its work: a step opened `within` this site runs under its lock. */
  private holding = false;

  private constructor(
    readonly layout: SiteLayout,
    readonly settings: Settings,
    readonly clock: SiteClock,
    /** The pipeline's site whose lock this one runs under (a step of `lptool run`), or none. */
    private readonly parent: Site | null = null,
  ) {}

  /**
   * settings → SiteClock → the site folders the command uses (exit 2 naming what is wrong); `more` gives
   * further folders to check once the layout is known (the archive's month folders).
   */
  static open(options: SiteOptions, folders: readonly SitePart[], more?: (layout: SiteLayout) => string[]): Site {
    const within = options.within;
    if (within) {
      if (!within.holding) throw new Error('a step opened within a site that does not hold its lock');
      checkSiteFolders(within.layout, folders, more?.(within.layout));
      return new Site(within.layout, within.settings, within.clock, within);
    }
    const layout = siteLayout(options.root);
    checkSiteRoot(layout);
    const settings = loadSettings(layout.settings, options, options.env);
    if (settings.sources.timezone === 'default') runWarning('zone', zoneWarning(settings.timezone));
    const clock = new SiteClock(settings.timezone, settings.clock);
    checkSiteFolders(layout, folders, more?.(layout));
    return new Site(layout, settings, clock);
  }

  /** Run `work` holding the site lock, with the command's logs; the lock is released however it ends. */
  async locked<T>(run: SiteRun, work: (logs: Logger[]) => Promise<T> | T): Promise<T> {
    const release =
      run.dryRun || this.parent
        ? () => {}
        : acquireLock(this.layout.lockFile, { waitMs: run.lockWaitMs, command: `lptool ${run.command}` });
    const held = this.holding;
    this.holding = true;
    try {
      const logs = run.logs.map((name) =>
        run.dryRun ? nullLogger() : createLogger(this.layout.logs, name, { cmd: run.command }),
      );
      return await work(logs);
    } finally {
      this.holding = held;
      release();
    }
  }
}

/** Open a command's site (see `Site.open`). */
export function openSite(
  options: SiteOptions,
  folders: readonly SitePart[],
  more?: (layout: SiteLayout) => string[],
): Site {
  return Site.open(options, folders, more);
}

/** The warning of a run whose zone is set nowhere (no --tz, LPTOOL_TZ or lptool.yaml timezone). */
export function zoneWarning(zone: string): string {
  return `time zone — expected one set by --tz, LPTOOL_TZ or timezone: in lptool.yaml, got none: using this machine's zone, ${zone} (lptool init --tz ZONE, or add timezone: to lptool.yaml)`;
}

/** A missing root is almost always a wrong --root or LPTOOL_ROOT: said as such (exit 2), never as a missing subfolder. */
function checkSiteRoot(layout: SiteLayout): void {
  const root = layout.root;
  const st = fs.statSync(root, { throwIfNoEntry: false });
  if (!st?.isDirectory())
    throw new LptError(
      'LPT_CONFIG',
      `site root — expected a folder with meter-data.csv, got ${st ? 'a file' : 'nothing'} at ${root}; ${rootFix(root)}`,
      { file: root },
    );
}

const rootFix = (root: string) => `check --root and LPTOOL_ROOT, or make a site there with lptool init --root ${root}`;

/** A command that works on the meters (build, merge, run) needs the root's meter-data.csv: its absence is said as such. */
export function requireMeterData(layout: SiteLayout): void {
  if (!fs.existsSync(layout.meterData))
    throw new LptError(
      'LPT_INPUT_MISSING',
      `site root — expected a folder with meter-data.csv, got ${layout.root} without one; ${rootFix(layout.root)}`,
      { file: layout.meterData },
    );
}
