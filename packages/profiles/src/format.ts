import type { BuildSummary } from './summary.js';

/** The human summary: one line per meter, then problems. */
/**
 * The human summary: a line of counts, then a line per meter that was built or appended (and, with `verbose`, per
 * meter left unchanged). Problems — failed or kept meters, unknown meters, bad files, rows and conflicts — are not
 * in it: they are `buildProblems`' lines, which the CLI writes on stderr in every mode.
 */
export function formatBuildSummary(s: BuildSummary, options: { verbose?: boolean } = {}): string {
  const out: string[] = [];
  const built = s.meters.filter((m) => m.status === 'built').length;
  const appended = s.meters.filter((m) => m.status === 'appended').length;
  const upToDate = s.meters.filter((m) => m.status === 'up-to-date').length;
  const kept = s.meters.filter((m) => m.status === 'kept').length;
  out.push(
    `build ${s.root}${s.outDir !== 'lp' ? ` → ${s.outDir}/ (an extract: lp/ untouched)` : ''}: ${built} built, ${appended ? `${appended} appended, ` : ''}${kept ? `${kept} kept (would lose intervals), ` : ''}${upToDate} up to date, ${s.rowsRead} rows read, ${s.conflicts.length ? `${s.meters.reduce((a, m) => a + m.conflicts, 0)} conflicts, ` : ''}${s.badRows.length ? `${s.meters.reduce((a, m) => a + m.badRows, 0)} bad rows, ` : ''}${s.unknownMeters.length} unknown meters`,
  );
  for (const m of s.meters) {
    const head = `  ${m.name.padEnd(12)} ${m.status.padEnd(10)}`;
    if (m.status === 'built' || m.status === 'appended') out.push(`${head} ${meterLine(m)}`);
    else if (m.status === 'no-data') out.push(`${head} no archived exports`);
    else if (m.status === 'up-to-date' && options.verbose) out.push(`${head} inputs unchanged`);
  }
  return out.join('\n');
}

/** A built meter's rows, range, and what to know about it. */
function meterLine(m: BuildSummary['meters'][number]): string {
  const extras = [
    m.conflicts ? `${m.conflicts} conflicts` : '',
    m.badRows ? `${m.badRows} bad rows` : '',
    m.dstDays.length ? `DST days ${m.dstDays.map((d) => `${d.date} (${d.intervals})`).join(', ')}` : '',
    m.incompleteDays.length
      ? `${m.incompleteDays.length} incomplete days (${m.incompleteDays
          .slice(0, 3)
          .map((d) => `${d.date} ${d.intervals}/${d.expected}`)
          .join(', ')}${m.incompleteDays.length > 3 ? ' …' : ''})`
      : '',
  ].filter(Boolean);
  return `${m.rows} rows ${m.first} → ${m.last}${extras.length ? `; ${extras.join('; ')}` : ''}`;
}

/** What needs attention in a build, a line each (the CLI writes them on stderr, also under --quiet and --json). */
export function buildProblems(s: BuildSummary): string[] {
  const out: string[] = [];
  for (const m of s.meters)
    if (m.status === 'failed' || m.status === 'kept') out.push(`${m.name} ${m.status}: ${m.error}`);
  for (const u of s.unknownMeters)
    out.push(`unknown meter ${u.meter} (not in meter-data.csv): ${u.files.length} file(s), e.g. ${u.files[0]}`);
  for (const f of s.badFiles) out.push(`bad file ${f.file}: ${f.reason}: ${f.message}`);
  for (const b of s.badRows.slice(0, 10)) out.push(`bad row ${b.file}:${b.line} column ${b.column}: ${b.message}`);
  if (s.badRows.length > 10) out.push('… more bad rows in logs/build.log');
  for (const c of s.conflicts.slice(0, 10))
    out.push(
      `conflict ${c.start}: kept ${c.kept.file}:${c.kept.line} (${c.kept.values}), dropped ${c.dropped.file}:${c.dropped.line} (${c.dropped.values})`,
    );
  if (s.conflicts.length > 10) out.push('… more conflicts in logs/build.log');
  return out.map((l) => `build: ${l}`);
}
