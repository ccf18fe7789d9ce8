import { SiteClock } from '@lptool/core';
import { acquireLock } from './lock.js';
import { createLogger, type Logger, nullLogger } from './log.js';
import { loadSettings, type SettingFlags, type Settings } from './settings.js';
import { checkSiteFolders, type SiteLayout, type SitePart, siteLayout } from './site.js';

/** What every command is given about its site: the root, the setting flags, the environment. */
export interface SiteOptions extends SettingFlags {
  root: string;
  env?: NodeJS.ProcessEnv;
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
  private constructor(
    readonly layout: SiteLayout,
    readonly settings: Settings,
    readonly clock: SiteClock,
  ) {}

  /**
   * settings → SiteClock → the site folders the command uses (exit 2 naming what is wrong); `more` gives
   * further folders to check once the layout is known (the archive's month folders).
   */
  static open(options: SiteOptions, folders: readonly SitePart[], more?: (layout: SiteLayout) => string[]): Site {
    const layout = siteLayout(options.root);
    const settings = loadSettings(layout.settings, options, options.env);
    const clock = new SiteClock(settings.timezone, settings.clock);
    checkSiteFolders(layout, folders, more?.(layout));
    return new Site(layout, settings, clock);
  }

  /** Run `work` holding the site lock, with the command's logs; the lock is released however it ends. */
  async locked<T>(run: SiteRun, work: (logs: Logger[]) => Promise<T> | T): Promise<T> {
    const release = run.dryRun
      ? () => {}
      : acquireLock(this.layout.lockFile, { waitMs: run.lockWaitMs, command: `lptool ${run.command}` });
    try {
      const logs = run.logs.map((name) =>
        run.dryRun ? nullLogger() : createLogger(this.layout.logs, name, { cmd: run.command }),
      );
      return await work(logs);
    } finally {
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
