/**
 * Settings, declared in package.json, typed once here, and read per resource
 * (workspace/configuration with a scopeUri), cached per URI until they change.
 */
import type { Connection } from 'vscode-languageserver/node';

export interface KbloatSettings {
  /** Kernel build folder; relative paths are relative to the workspace folder. Empty: discover. */
  buildDirectory: string;
  /** A second build to compare against (deltas in every lens, Compare with Baseline). Empty: none. */
  baselineBuildDirectory: string;
  /** A debug vmlinux (a distro's -dbg package) to measure from DWARF when the workspace holds no build. Empty: none. */
  vmlinux: string;
  codeLens: { enabled: boolean };
  newCode: { enabled: boolean; severity: 'hint' | 'information' | 'warning' };
  measure: { enabled: boolean; growthThreshold: number; timeoutSeconds: number };
}

const DEFAULT_SETTINGS: KbloatSettings = { buildDirectory: '', baselineBuildDirectory: '', vmlinux: '', codeLens: { enabled: true }, newCode: { enabled: true, severity: 'information' }, measure: { enabled: true, growthThreshold: 64, timeoutSeconds: 30 } };

function positive(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback;
}

const SEVERITIES = new Set(['hint', 'information', 'warning']);

export class Settings {
  private readonly cache = new Map<string, Promise<KbloatSettings>>();
  private supported = false;

  constructor(private readonly connection: Connection) {}

  /** Called with the client's capabilities: without workspace/configuration, defaults apply. */
  setSupported(supported: boolean): void {
    this.supported = supported;
  }

  get(scopeUri: string | undefined): Promise<KbloatSettings> {
    const key = scopeUri ?? '';
    let s = this.cache.get(key);
    if (!s) {
      s = this.supported
        ? this.connection.workspace
            .getConfiguration({ scopeUri, section: 'kbloat' })
            .then((raw: Partial<KbloatSettings> | null) => ({
              buildDirectory: typeof raw?.buildDirectory === 'string' ? raw.buildDirectory : DEFAULT_SETTINGS.buildDirectory,
              baselineBuildDirectory: typeof raw?.baselineBuildDirectory === 'string' ? raw.baselineBuildDirectory : '',
              vmlinux: typeof raw?.vmlinux === 'string' ? raw.vmlinux : '',
              codeLens: { enabled: raw?.codeLens?.enabled !== false },
              newCode: {
                enabled: raw?.newCode?.enabled !== false,
                severity: SEVERITIES.has(raw?.newCode?.severity as string) ? raw!.newCode!.severity : DEFAULT_SETTINGS.newCode.severity,
              },
              measure: {
                enabled: raw?.measure?.enabled !== false,
                growthThreshold: positive(raw?.measure?.growthThreshold, DEFAULT_SETTINGS.measure.growthThreshold),
                timeoutSeconds: positive(raw?.measure?.timeoutSeconds, DEFAULT_SETTINGS.measure.timeoutSeconds),
              },
            }))
            .catch(() => DEFAULT_SETTINGS)
        : Promise.resolve(DEFAULT_SETTINGS);
      this.cache.set(key, s);
    }
    return s;
  }

  clear(): void {
    this.cache.clear();
  }
}
