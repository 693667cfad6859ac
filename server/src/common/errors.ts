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
