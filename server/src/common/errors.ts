/**
 * Errors the measurement core reports about its *inputs*. Every parser throws
 * `KbloatInputError` (never a bare Error, never a RangeError from a Buffer read)
 * for bytes it cannot make sense of, so that the CLI can print one line and exit 2
 * and the language server can tell the user what is wrong and how to fix it.
 */
export type InputErrorCode =
  | 'not-a-build'        // the folder holds no kernel build
  | 'bad-elf'            // truncated, foreign or inconsistent ELF
  | 'bad-dwarf'          // debug information that is truncated, uses an unknown form, or points outside its section
  | 'bad-archive'        // ar archive that cannot be read
  | 'bad-bitcode'        // LLVM bitcode object (an LTO build's .o) whose symbol table cannot be read
  | 'bad-system-map'     // System.map unreadable, a stub, or not matching vmlinux
  | 'bad-linker-map'     // vmlinux.map that cannot be read
  | 'bad-cmd'            // .*.cmd file that cannot be read
  | 'bad-makefile'       // Kbuild Makefile problem
  | 'bad-config'         // .config problem
  | 'build-changed'      // the build was rewritten while we read it
  | 'io';                // the file system said no

export class KbloatInputError extends Error {
  constructor(
    readonly code: InputErrorCode,
    /** What is wrong, without the file. */
    readonly reason: string,
    /** The file the problem is in, when there is one. */
    readonly file?: string,
  ) {
    super(file ? `${file}: ${reason}` : reason);
    this.name = 'KbloatInputError';
  }
}

/**
 * An error as it crosses from a worker thread to the thread that started it.
 * The structured clone of `postMessage` keeps neither an error's class nor its
 * own fields, so an input error travels as its parts and is made again on the
 * other side: the CLI and the language server then tell it from a bug as they
 * do on one thread.
 */
export type CarriedError =
  | { input: true; code: InputErrorCode; reason: string; file?: string }
  | { input: false; message: string; stack?: string };

/** What of `e` can cross a thread boundary. */
export function carryError(e: unknown): CarriedError {
  if (e instanceof KbloatInputError) return { input: true, code: e.code, reason: e.reason, ...(e.file !== undefined ? { file: e.file } : {}) };
  if (e instanceof Error) return { input: false, message: e.message, ...(e.stack !== undefined ? { stack: e.stack } : {}) };
  return { input: false, message: String(e) };
}

/** The error `carryError` carried: a `KbloatInputError` again, or an Error with the message and the stack of the thread that threw it. */
export function revivedError(c: CarriedError): Error {
  if (c.input) return new KbloatInputError(c.code, c.reason, c.file);
  const e = new Error(c.message);
  // The stack where it was thrown says more than the one where it arrived.
  if (c.stack !== undefined) e.stack = c.stack;
  return e;
}
