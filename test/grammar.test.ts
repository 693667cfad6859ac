/**
 * The Kconfig TextMate grammar (syntaxes/kconfig.tmLanguage.json), checked
 * with vscode-tmgrammar-test on Kconfig text copied from the Linux 6.1 tree
 * (test/grammar/*.Kconfig). Each fixture carries `# <-` / `#   ^^^` assertion
 * lines under the source line they check; the runner tokenizes only the
 * source lines, so the help-text blocks stay intact.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';

const REPO = path.resolve(__dirname, '..');
const GRAMMAR = path.join(REPO, 'syntaxes/kconfig.tmLanguage.json');
const LANGUAGE_CONFIGURATION = path.join(REPO, 'syntaxes/kconfig.language-configuration.json');
const FIXTURES = path.join(REPO, 'test/grammar');
const RUNNER = path.join(REPO, 'node_modules/vscode-tmgrammar-test/dist/unit.js');

function runGrammarTest(file: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [RUNNER, '--compact', '--grammar', GRAMMAR, file], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.Kconfig')).sort();

describe('Kconfig grammar', () => {
  test('grammar, language configuration and package.json contributions agree', () => {
    const grammar = JSON.parse(readFileSync(GRAMMAR, 'utf8')) as { scopeName: string; patterns: unknown[]; repository: Record<string, unknown> };
    assert.equal(grammar.scopeName, 'source.kconfig');
    assert.ok(grammar.patterns.length > 0);
    for (const key of ['help', 'expression', 'string', 'macro']) assert.ok(key in grammar.repository, key);

    const conf = JSON.parse(readFileSync(LANGUAGE_CONFIGURATION, 'utf8')) as { comments: { lineComment: string }; brackets: string[][] };
    assert.equal(conf.comments.lineComment, '#');
    assert.deepEqual(conf.brackets, [['(', ')']]);

    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
      contributes: { languages: { id: string; configuration?: string }[]; grammars?: { language: string; scopeName: string; path: string }[] };
    };
    const lang = pkg.contributes.languages.find((l) => l.id === 'kconfig');
    assert.equal(lang?.configuration, './syntaxes/kconfig.language-configuration.json');
    const g = pkg.contributes.grammars?.find((x) => x.scopeName === 'source.kconfig');
    assert.deepEqual(g, { language: 'kconfig', scopeName: 'source.kconfig', path: './syntaxes/kconfig.tmLanguage.json' });
    assert.ok(existsSync(path.join(REPO, g!.path)));
    assert.ok(existsSync(path.join(REPO, lang!.configuration!)));
  });

  test('fixtures are present and carry assertions', () => {
    assert.ok(fixtures.length >= 5, `fixtures: ${fixtures.join(', ')}`);
    for (const f of fixtures) {
      const text = readFileSync(path.join(FIXTURES, f), 'utf8');
      assert.match(text, /^# SYNTAX TEST "source\.kconfig"/, f);
      assert.ok(/^#\s*(<-|\^)/m.test(text), `${f} has no assertions`);
    }
  });

  for (const f of fixtures) {
    test(`scopes in ${f}`, () => {
      const { status, output } = runGrammarTest(path.join(FIXTURES, f));
      assert.equal(status, 0, output);
      assert.match(output, /run successfuly/, output);
    });
  }

  test('a wrong assertion fails (the runner really checks scopes)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kbloat-grammar-'));
    try {
      const file = path.join(dir, 'wrong.Kconfig');
      writeFileSync(file, [
        '# SYNTAX TEST "source.kconfig" "negative control"',
        'config EXT2_FS',
        '#      ^^^^^^^ storage.type.kconfig',
        '',
      ].join('\n'));
      const { status, output } = runGrammarTest(file);
      assert.notEqual(status, 0, output);
      assert.match(output, /Missing required scopes/, output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
