/**
 * The file table at the head of a unit's line program (.debug_line): what
 * DW_AT_decl_file numbers mean. DWARF 2-4 count files from 1 (0 is "no file")
 * and list directories and files as strings; DWARF 5 counts from 0 (file 0 is the
 * unit's own source) and describes each entry with a format of (content, form)
 * pairs. Only the header is read, never the line program itself.
 */
import { DW_FORM, DwarfCursor, readConstant, skipForm, stringAt } from './forms';
import type { UnitContext } from './ranges';
import { strx } from './ranges';
import type { DwarfSections } from './sections';

export interface FileTable {
  /**
   * Paths as the compiler wrote them, joined with their directory but not with
   * the comp_dir (absolute, or relative to the comp_dir); normalised later, only
   * for the files that are used (see paths.ts).
   */
  files: string[];
  /** The DW_AT_decl_file number of files[0]: 1 before DWARF 5, 0 from DWARF 5 on. */
  first: number;
}

const DW_LNCT_path = 1;
const DW_LNCT_directory_index = 2;
/** Headers are small; a claim beyond this is corrupt data, not a big table. */
const MAX_HEADER = 64 << 20;

export function readFileTable(d: DwarfSections, u: UnitContext, stmtList: number, compDir: string): FileTable {
  let c = d.slice('line', stmtList, 12);
  if (!c) return { files: [], first: 1 };
  const start = c.pos;
  const { len, offSize } = c.initialLength();
  const version = c.u16();
  if (version < 2 || version > 5) c.fail(`line table version ${version} is not supported`);
  if (version >= 5) c.skip(2); // address_size, segment_selector_size
  // Read the whole header now that its length is known, and nothing past it.
  const prefix = c.pos - start;
  const hl = peekOffset(c, offSize);
  if (hl > MAX_HEADER || hl > len) c.fail(`line table header length ${hl} is impossible`);
  c = d.slice('line', stmtList, prefix + offSize + hl)!;
  const headStart = c.pos;
  c.end = Math.min(c.end, headStart + prefix + offSize + hl);
  c.pos = headStart + prefix;
  c.offset(offSize);
  c.u8(); // minimum_instruction_length
  if (version >= 4) c.u8(); // maximum_operations_per_instruction
  c.u8(); // default_is_stmt
  c.u8(); // line_base
  c.u8(); // line_range
  const opcodeBase = c.u8();
  c.skip(Math.max(0, opcodeBase - 1));
  const lineUnit: UnitContext = { ...u, offSize };
  if (version < 5) {
    const dirs = [''];
    for (;;) {
      const dir = c.cString();
      if (dir === '') break;
      dirs.push(dir);
    }
    const files: string[] = [];
    for (;;) {
      const name = c.cString();
      if (name === '') break;
      const dir = c.uleb();
      c.uleb(); // mtime
      c.uleb(); // length
      files.push(join(dirs[dir] ?? '', name, compDir));
    }
    return { files, first: 1 };
  }
  const dirs = readEntries(d, lineUnit, c).map((e) => (e.path === compDir ? '' : e.path));
  const files = readEntries(d, lineUnit, c).map((e) => join(dirs[e.dir] ?? '', e.path, compDir));
  return { files, first: 0 };
}

function peekOffset(c: DwarfCursor, offSize: number): number {
  const p = c.pos;
  const v = c.offset(offSize);
  c.pos = p;
  return v;
}

function readEntries(d: DwarfSections, u: UnitContext, c: DwarfCursor): { path: string; dir: number }[] {
  const formatCount = c.u8();
  const format: [number, number][] = [];
  for (let i = 0; i < formatCount; i++) format.push([c.uleb(), c.uleb()]);
  const count = c.uleb();
  // Each entry takes at least one byte per format item: a count beyond the bytes left is corrupt.
  if (count > c.end - c.pos) c.fail(`line table lists ${count} entries in ${c.end - c.pos} bytes`);
  const out: { path: string; dir: number }[] = [];
  for (let i = 0; i < count; i++) {
    let p = '';
    let dir = 0;
    for (const [content, form] of format) {
      if (content === DW_LNCT_path) p = readString(d, u, c, form);
      else if (content === DW_LNCT_directory_index && form !== DW_FORM.block && form !== DW_FORM.string) dir = readConstant(c, form, 0);
      else skipForm(c, form, u.addrSize, u.offSize, 5);
    }
    out.push({ path: p, dir });
  }
  return out;
}

function readString(d: DwarfSections, u: UnitContext, c: DwarfCursor, form: number): string {
  switch (form) {
    case DW_FORM.string: return c.cString();
    case DW_FORM.line_strp: return stringAt(d.get('line_str'), c.offset(u.offSize), '.debug_line_str');
    case DW_FORM.strp: return stringAt(d.get('str'), c.offset(u.offSize), '.debug_str');
    case DW_FORM.strx: case DW_FORM.strx1: case DW_FORM.strx2: case DW_FORM.strx3: case DW_FORM.strx4: {
      const i = form === DW_FORM.strx ? c.uleb() : form === DW_FORM.strx1 ? c.u8() : form === DW_FORM.strx2 ? c.u16() : form === DW_FORM.strx3 ? c.u24() : c.u32();
      return stringAt(d.get('str'), strx(d, u, i), '.debug_str');
    }
    default: return c.fail(`form 0x${form.toString(16)} where a file name was expected`);
  }
}

/** Directory and name, as the compiler meant them; a directory equal to the comp_dir adds nothing. */
function join(dir: string, name: string, compDir: string): string {
  if (name.startsWith('/') || dir === '' || dir === compDir) return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}
