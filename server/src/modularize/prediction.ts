/**
 * What setting some Kconfig symbols to m would do to the kernel proper, as
 * `make olddefconfig` and the rebuild would give it: which symbols change
 * (those asked for and those Kconfig moves with them), which olddefconfig would
 * put back, the bytes of code and data that leave vmlinux, what the linker's
 * generated tables lose with them, and what the kernel proper loses once the
 * linker script has aligned what is left.
 */

export interface SymbolChange {
  /** 'CONFIG_X'. */
  symbol: string;
  /** The value today ('y', 'm', 'n' for not set). */
  from: string;
  /** The value after make olddefconfig. */
  to: string;
  /** Resident bytes of the objects that leave vmlinux because of this symbol (each object counted once, under the first symbol that takes it). */
  bytes: number;
  /** Why Kconfig moves it, for a symbol that was not asked for ("selected only by CONFIG_SERIAL_8250", "depends on SERIAL_8250=y"). */
  why?: string;
}

export interface UndoneChange {
  /** 'CONFIG_X', one of the symbols asked for. */
  symbol: string;
  /** The value make olddefconfig would give it instead of m. */
  value: string;
  /** Why, naming the Kconfig line ("no prompt of CONFIG_X is visible …; net/ipv4/Kconfig:680 gives default y"). */
  why: string;
}

export interface Prediction {
  /** The symbols asked for, 'CONFIG_X'. */
  requested: string[];
  /** Every symbol whose value changes, those asked for first. */
  changes: SymbolChange[];
  /** Symbols asked for that olddefconfig would not leave at m. */
  undone: UndoneChange[];
  /** The kernel proper today (vmlinux minus init, as the index counts it). */
  residentBefore: number;
  /** Resident bytes of code and data of the objects that leave vmlinux. */
  code: number;
  /** Bytes the linker-generated tables lose with them (kallsyms names and offsets, export tables), from the build's own tables. */
  tables: number;
  /** The kernel proper predicted after the rebuild, once the linker script's alignment is applied. */
  residentAfter: number;
  /** When alignment swallows part of the saving: how many more bytes must leave to cross the next boundary. */
  toNextBoundary?: number;
  /** How the figures were made, for the reader (e.g. "kallsyms: 23.4 B per symbol, from this build"). */
  notes: string[];
}
