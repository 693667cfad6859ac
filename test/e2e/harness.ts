/**
 * End-to-end steps in a real VS Code: code-server (the VS Code server and
 * workbench, from test/e2e/node_modules, installed by .ci/setup) with the built
 * .vsix installed, driven in Debian's chromium through playwright-core. Each
 * step waits on what appears on the page, never on a fixed sleep, and every
 * process started here is ended by `stop()`/`close()`, which the tests call
 * from `after` hooks. A new scenario is a few of these steps in a test.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { chromium, BrowserContext, FrameLocator, Page } from 'playwright-core';
import { REPO, tempDir } from '../helpers';

export const CODE_SERVER = process.env.KBLOAT_CODE_SERVER ?? path.join(REPO, 'test/e2e/node_modules/.bin/code-server');
export const CHROMIUM = process.env.KBLOAT_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(REPO, 'test/artifacts');

/** What is missing for the end-to-end suite, as a message that says how to get it; undefined when ready. */
export function missingRequirements(): string | undefined {
  const missing = [
    !existsSync(CODE_SERVER) && `code-server (expected at ${CODE_SERVER.startsWith(REPO + path.sep) ? path.relative(REPO, CODE_SERVER) : CODE_SERVER})`,
    !existsSync(CHROMIUM) && `chromium (expected at ${CHROMIUM})`,
  ].filter(Boolean);
  if (!missing.length) return undefined;
  return `the end-to-end suite needs ${missing.join(' and ')}: run .ci/setup (CI installs them), or set KBLOAT_SKIP_E2E=1 to skip it`;
}

/** Settings that keep the workbench quiet and deterministic while it is driven. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'files.autoSave': 'off',
  // Typed code lands exactly as typed: no closing brackets or indentation added.
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingQuotes': 'never',
  'editor.autoIndent': 'none',
  'editor.formatOnType': false,
  'editor.acceptSuggestionOnEnter': 'off',
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.suggestOnTriggerCharacters': false,
  'editor.minimap.enabled': false,
  'window.zoomLevel': 0,
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves when `check` returns a value, polling a cheap local condition (a port, a process table). */
async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface ProcessEntry {
  pid: number;
  ppid: number;
  cmdline: string;
}

function processTable(): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // The command name in parentheses may hold spaces: the fields after it are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(e), ppid, cmdline });
    } catch {
      // The process ended while the table was read.
    }
  }
  return out;
}

/** Every process descended from `root` (not `root` itself). */
export function descendants(root: number): ProcessEntry[] {
  const table = processTable();
  const found: ProcessEntry[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of table) {
      if (!parents.has(p.pid) && parents.has(p.ppid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

export interface CodeServerOptions {
  /** The folder opened as the workspace. */
  workspace: string;
  /** The .vsix to install before the start. */
  vsix: string;
  /**
   * A trusted workspace (the default here: --disable-workspace-trust), or with
   * `false` one opened in Restricted Mode, as when the user does not trust its authors.
   */
  trusted?: boolean;
  /** Extra environment for code-server, its extension host and the language server. */
  env?: NodeJS.ProcessEnv;
}

export class CodeServer {
  private constructor(
    readonly process: ChildProcess,
    readonly url: string,
    readonly extensionsDir: string,
    readonly workspace: string,
    private readonly log: string[],
    private readonly home: string,
  ) {}

  static async start(o: CodeServerOptions): Promise<CodeServer> {
    const home = tempDir('code-server');
    const extensionsDir = path.join(home, 'ext');
    const userData = path.join(home, 'ud');
    mkdirSync(path.join(userData, 'User'), { recursive: true });
    // Untrusted: open in Restricted Mode without the modal question.
    const trust = o.trusted === false ? { 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.emptyWindow': false } : {};
    writeFileSync(path.join(userData, 'User/settings.json'), JSON.stringify({ ...USER_SETTINGS, ...trust }, null, 2));
    // Without --config, code-server writes one into the home folder; its logs and
    // heartbeat go to the XDG folders, kept here too.
    writeFileSync(path.join(home, 'config.yaml'), 'auth: none\ncert: false\n');
    const env = { ...process.env, XDG_DATA_HOME: path.join(home, 'data'), XDG_CONFIG_HOME: path.join(home, 'config'), XDG_CACHE_HOME: path.join(home, 'cache'), ...o.env };
    execFileSync(CODE_SERVER, ['--config', path.join(home, 'config.yaml'), '--user-data-dir', userData, '--extensions-dir', extensionsDir, '--install-extension', o.vsix], { stdio: 'pipe', env });
    const port = await freePort();
    const args = [
      '--config', path.join(home, 'config.yaml'),
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--user-data-dir', userData,
      '--extensions-dir', extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      ...(o.trusted === false ? [] : ['--disable-workspace-trust']),
      o.workspace,
    ];
    // Its own process group, so that stop() ends the extension host and the language server with it.
    const child = spawn(CODE_SERVER, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    const log: string[] = [];
    child.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
    const url = `http://127.0.0.1:${port}`;
    const server = new CodeServer(child, url, extensionsDir, o.workspace, log, home);
    try {
      await until(
        'code-server to answer /healthz',
        async () => {
          if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${log.join('')}`);
          return fetch(`${url}/healthz`).then((r) => (r.ok ? true : undefined), () => undefined);
        },
        30_000,
      );
    } catch (e) {
      server.stop();
      throw e;
    }
    return server;
  }

  /** The workbench URL with the workspace open. */
  get workbenchUrl(): string {
    return `${this.url}/?folder=${encodeURIComponent(this.workspace)}`;
  }

  /** The language server processes (dist/server.js of the installed extension) under this code-server. */
  languageServers(): ProcessEntry[] {
    return descendants(this.process.pid!).filter((p) => p.cmdline.includes(this.extensionsDir) && /dist\/server\.js/.test(p.cmdline));
  }

  /** Waits for a language server of the installed extension other than those in `not`. */
  waitForLanguageServer(not: number[] = [], timeoutMs = 30_000): Promise<ProcessEntry> {
    return until('the language server process', () => this.languageServers().find((p) => !not.includes(p.pid)), timeoutMs);
  }

  output(): string {
    return this.log.join('');
  }

  /** Ends code-server's process group and any descendant that left it, and removes its folders. */
  stop(): void {
    const pid = this.process.pid;
    if (pid === undefined) return;
    const strays = descendants(pid);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
    for (const p of strays) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Ended with its group.
      }
    }
    rmSync(this.home, { recursive: true, force: true, maxRetries: 5 });
  }
}

const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** One workbench window in chromium, with the steps the scenarios are made of. */
export class Workbench {
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly profile: string,
  ) {}

  static async open(server: CodeServer): Promise<Workbench> {
    // Playwright rejects --user-data-dir in args: a persistent context gets a fresh profile instead.
    const profile = tempDir('chromium');
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: BROWSER_ARGS,
      viewport: { width: 1400, height: 900 },
    });
    const bench = new Workbench(context, context.pages()[0] ?? (await context.newPage()), profile);
    // The machine is shared: give each wait on the page a minute, not Playwright's 30 s.
    bench.page.setDefaultTimeout(60_000);
    try {
      await bench.page.goto(server.workbenchUrl);
      await bench.page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 30_000 });
    } catch (e) {
      await bench.close();
      throw e;
    }
    return bench;
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 5 });
  }

  async screenshot(name: string, also?: string): Promise<string> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, name);
    await this.page.screenshot({ path: file });
    if (also) writeFileSync(also, readFileSync(file));
    return file;
  }

  /** The status-bar item of the extension, once its text matches `text`. */
  async statusBarText(text: RegExp, timeoutMs = 60_000): Promise<string> {
    const item = this.page.locator('.part.statusbar .statusbar-item', { hasText: text }).first();
    await item.waitFor({ timeout: timeoutMs });
    return (await item.innerText()).trim();
  }

  private async quickInput(keys: string, value: string, row: RegExp): Promise<void> {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await this.page.locator('.monaco-workbench').press(keys);
    await input.waitFor({ state: 'visible' });
    await input.fill(value);
    await this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: row }).first().waitFor();
    await input.press('Enter');
    await input.waitFor({ state: 'hidden' });
  }

  /** Opens a workspace file through Quick Open, once its result row appears. */
  async openFile(relativePath: string): Promise<void> {
    const base = path.basename(relativePath);
    const dir = path.dirname(relativePath);
    // A file at the root has no folder beside its name in the list.
    await this.quickInput('Control+P', relativePath, new RegExp(dir === '.' ? `^\\s*${escapeRegExp(base)}` : `${escapeRegExp(base)}\\s*${escapeRegExp(dir)}`));
    await this.page.locator('.tabs-container .tab.active', { hasText: base }).waitFor();
    await this.page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor();
  }

  /** Runs a command from the Command Palette by its title as the palette lists it. */
  async runCommand(title: string): Promise<void> {
    await this.quickInput('F1', `>${title}`, new RegExp(`^\\s*${escapeRegExp(title)}`));
  }

  /** Moves the cursor to a 1-based line with Go to Line, which scrolls it into view. */
  async goToLine(line: number): Promise<void> {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await this.page.locator('.monaco-workbench').press('Control+G');
    await input.waitFor({ state: 'visible' });
    await input.fill(`:${line}`);
    await input.press('Enter');
    await input.waitFor({ state: 'hidden' });
    await this.page.locator('.monaco-editor .view-overlays .current-line').first().waitFor();
  }

  /** The texts of the CodeLens lines shown in the active editor, once there are any. */
  async lensTexts(timeoutMs = 60_000): Promise<string[]> {
    const lenses = this.page.locator('.editor-instance .monaco-editor .codelens-decoration');
    await lenses.first().waitFor({ timeout: timeoutMs });
    return (await lenses.allInnerTexts()).map((t) => t.trim());
  }

  /**
   * The lens text directly above the source line whose text matches `line`
   * (the line must be in view: go to it first). Waits for that lens, and with
   * `text`, until it matches (lenses are recomputed as the server learns more).
   */
  async lensAbove(line: RegExp, o: { text?: RegExp; timeoutMs?: number } = {}): Promise<string> {
    const text = o.text ?? /./;
    const handle = await this.page.waitForFunction(
      ({ source, flags, textSource, textFlags }) => {
        const re = new RegExp(source, flags);
        const editor = document.querySelector('.editor-instance .monaco-editor');
        const target = editor && [...editor.querySelectorAll('.view-lines .view-line')].find((l) => re.test((l.textContent ?? '').replace(/\u00a0/g, ' ')));
        if (!editor || !target) return undefined;
        const top = target.getBoundingClientRect().top;
        let best: { text: string; gap: number } | undefined;
        for (const lens of editor.querySelectorAll('.codelens-decoration')) {
          // A lens sits in a view zone right above its line.
          const gap = top - lens.getBoundingClientRect().bottom;
          if (gap >= -1 && gap < 12 && (!best || gap < best.gap)) best = { text: (lens.textContent ?? '').trim(), gap };
        }
        return best && new RegExp(textSource, textFlags).test(best.text) ? best.text : undefined;
      },
      { source: line.source, flags: line.flags, textSource: text.source, textFlags: text.flags },
      { timeout: o.timeoutMs ?? 60_000 },
    );
    return (await handle.jsonValue()) as string;
  }

  /**
   * Rests the mouse on a word of the active editor (in view) and returns the hover
   * that opens. (Clicking a lens does the same, but a lens clicked while the server
   * refreshes lenses runs a command of the replaced set, and VS Code says so.)
   */
  async hoverOn(word: string): Promise<string> {
    const token = this.page.locator('.editor-instance .view-lines .view-line span > span', { hasText: new RegExp(`^${escapeRegExp(word)}$`) }).first();
    await token.hover();
    const hover = this.page.locator('.monaco-hover:not(.hidden) .monaco-hover-content', { hasText: word }).first();
    await hover.waitFor({ state: 'visible' });
    return hover.innerText();
  }

  /** Types text at the end of the active editor's document. */
  async typeAtEnd(text: string): Promise<void> {
    const editor = this.page.locator('.editor-instance .monaco-editor textarea').first();
    await editor.focus();
    await this.page.keyboard.press('Control+End');
    await this.page.keyboard.type(text);
  }

  /** The rows of the Problems panel (opened if needed) once one matches `row`. */
  async problems(row: RegExp, timeoutMs = 60_000): Promise<string[]> {
    if (!(await this.page.locator('.markers-panel').isVisible())) await this.page.locator('.monaco-workbench').press('Control+Shift+M');
    const rows = this.page.locator('.markers-panel .monaco-list-row');
    await rows.filter({ hasText: row }).first().waitFor({ timeout: timeoutMs });
    return (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  }

  /** Label and description of the first `count` top-level rows of an explorer view, once shown. */
  async viewRows(viewName: string, count: number, timeoutMs = 60_000): Promise<{ label: string; description: string }[]> {
    const pane = this.page.locator('.pane', { has: this.page.locator('.pane-header', { hasText: new RegExp(`^\\s*${escapeRegExp(viewName)}`, 'i') }) });
    const rows = pane.locator('.monaco-list-row[aria-level="1"]');
    await rows.nth(count - 1).waitFor({ timeout: timeoutMs });
    const out = [];
    for (let i = 0; i < count; i++) {
      const row = rows.nth(i);
      out.push({ label: (await row.locator('.label-name').innerText()).trim(), description: (await row.locator('.label-description').innerText()).trim() });
    }
    return out;
  }

  /** Every notification of the session, toasts that hid again included, from the Notification Center. */
  async allNotifications(): Promise<string[]> {
    await this.runCommand('Notifications: Show Notifications');
    const items = this.page.locator('.notifications-center .notification-list-item');
    await this.page.locator('.notifications-center').waitFor();
    const texts = (await items.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    await this.page.keyboard.press('Escape');
    return texts;
  }

  /** The notification toasts whose text matches. */
  notifications(text: RegExp) {
    return this.page.locator('.notification-toast-container .notification-list-item', { hasText: text });
  }

  /** The content frame of the webview panel whose tab title matches (webviews nest two iframes). */
  async webview(title: string): Promise<FrameLocator> {
    await this.page.locator('.tabs-container .tab.active', { hasText: title }).waitFor();
    return this.page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
