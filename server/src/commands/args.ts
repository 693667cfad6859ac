/**
 * What every command's arguments share: the two kinds of bad argument (report
 * prints its usage with the message, the others one line), `--name value` /
 * `--name=value` options, and `--top N`.
 */

/** A bad argument to report: the message and the usage, as report always printed. */
export class UsageError extends Error {}
/** A bad argument to diff or check: one line on stderr. */
export class BadArgument extends Error {}

/** Options of diff and check: `--name value` or `--name=value`, flags, and positional arguments. */
export function parseOptions(argv: string[], withValue: string[], flags: string[]): { values: Map<string, string>; flags: Set<string>; positional: string[] } {
  const out = { values: new Map<string, string>(), flags: new Set<string>(), positional: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.split('=')[0];
    if (withValue.includes(name)) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new BadArgument(`${name} needs a value`);
      out.values.set(name, v);
    } else if (flags.includes(a)) out.flags.add(a);
    else if (a.startsWith('-') && a !== '-') throw new BadArgument(`unknown option ${a}`);
    else out.positional.push(a);
  }
  return out;
}

/** An option that may be given many times (`--make-arg A --make-arg=B`), taken out before parseOptions sees the rest. */
export function takeRepeated(argv: string[], name: string): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name) {
      if (argv[i + 1] === undefined) throw new BadArgument(`${name} needs a value`);
      values.push(argv[++i]);
    } else if (argv[i].startsWith(`${name}=`)) values.push(argv[i].slice(name.length + 1));
    else rest.push(argv[i]);
  }
  return { values, rest };
}

export function topOf(v: string | undefined): number {
  if (v === undefined) return 25;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new BadArgument(`--top needs a positive number, not "${v}"`);
  return Number(v);
}
