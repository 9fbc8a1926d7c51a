/**
 * Reading files that may be hostile: every reader of src/io opens its files through this module.
 *
 * - {@link readInputFile} reads a file named on the command line (or passed to a library reader).
 *   It refuses anything but a regular file (a directory, `/dev/zero`, a FIFO, a socket) without
 *   reading from it: the path is stat'ed first, then opened read-only and non-blocking (so a FIFO
 *   cannot hang the process), and the open descriptor is fstat'ed again. A file larger than the
 *   memory limit is refused before any byte is read, and no more than the size that fstat reported
 *   is ever read (a file that grows while it is read is an error).
 * - {@link readFileInFolder} reads a file that another file names (a TF.js weight shard, the
 *   layer description of a safetensors file). The name must be a relative path that stays inside
 *   the model's folder after every symbolic link is followed: it is resolved one component at a
 *   time below the real path of the folder, and anything that leaves it (an absolute path, `..`
 *   past the top, a link to an absolute path or out of the folder) is refused before anything
 *   outside the folder is touched, so the message cannot tell anything about the outside file
 *   (whether it exists, its size or its content). The resolved file must be a regular file, and
 *   the caller gives the most bytes it may hold (the size a manifest declares).
 *
 * Problems are one-line {@link FileFormatError}s that start with the name of the file being read
 * (or, for a referenced file, of the file that names it).
 */

import { constants, type Stats } from "node:fs";
import { lstat, open, readlink, realpath, stat, type FileHandle } from "node:fs/promises";
import { isAbsolute, join, posix, relative, sep, win32 } from "node:path";
import { DEFAULT_MEMORY_LIMIT_BYTES, formatBytes } from "../core/budget.js";
import { describeFsError, FileFormatError, show } from "./errors.js";
import { tooLarge } from "./limits.js";

export {
  checkArraySize,
  checkDenseSize,
  limitNote,
  memoryLimitOf,
  tooLarge,
  type ReaderOptions,
} from "./limits.js";

// O_NONBLOCK and O_NOCTTY do not exist on Windows; there a FIFO cannot be named by a path anyway.
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
const O_NOCTTY = constants.O_NOCTTY ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** What kind of file a stat result is, for messages about files that are not regular. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

/**
 * Reads exactly `size` bytes from an open file, and checks that nothing follows them.
 * @returns the bytes, or a problem ("grew while it was read")
 */
async function readExactly(fh: FileHandle, size: number): Promise<Uint8Array | string> {
  const buf = new Uint8Array(size);
  let off = 0;
  while (off < size) {
    // At most 1 GiB per call: Node refuses single reads above 2 GiB.
    const { bytesRead } = await fh.read(buf, off, Math.min(size - off, 2 ** 30), off);
    if (bytesRead === 0) return `shrank while it was read (${size} bytes expected, ${off} read)`;
    off += bytesRead;
  }
  const probe = new Uint8Array(1);
  const { bytesRead } = await fh.read(probe, 0, 1, size);
  if (bytesRead !== 0) return `grew while it was read (it holds more than the ${size} bytes it had)`;
  return buf;
}

/** Options of {@link readInputFile}. */
export interface InputFileOptions {
  /** The name messages start with. @default the path */
  source?: string;
  /** What the file should be, for messages ("a .json or .npy file"). */
  expected: string;
  /** How "cannot read …" names the file. @default "file" */
  what?: string;
  /** The memory limit: larger files are refused before reading. */
  limit: number;
  /** Read at most this many bytes (for sniffing the start of a file); no size check then. */
  prefix?: number;
}

/**
 * Reads a whole file given by the user, refusing special files and files above the memory limit
 * (see the module comment).
 * @throws FileFormatError starting with the file name
 */
export async function readInputFile(path: string, options: InputFileOptions): Promise<Uint8Array> {
  const source = options.source ?? path;
  const fail = (problem: string): never => {
    throw new FileFormatError(source, problem);
  };
  const cannot = `cannot read ${options.what ?? "file"}`;
  let st: Stats;
  try {
    st = await stat(path);
  } catch (e) {
    return fail(`${cannot} (${describeFsError(e)})`);
  }
  if (!st.isFile()) fail(`is ${kindOf(st)}, expected ${options.expected}`);
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | O_NONBLOCK | O_NOCTTY);
  } catch (e) {
    return fail(`${cannot} (${describeFsError(e)})`);
  }
  try {
    const fst = await fh.stat();
    if (!fst.isFile()) fail(`is ${kindOf(fst)}, expected ${options.expected}`);
    if (options.prefix !== undefined) {
      const buf = new Uint8Array(Math.min(options.prefix, fst.size));
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead);
    }
    if (fst.size > options.limit)
      tooLarge(source, `the file is ${formatBytes(fst.size)}`, fst.size, options.limit);
    const bytes = await readExactly(fh, fst.size);
    return typeof bytes === "string" ? fail(`the file ${bytes}`) : bytes;
  } catch (e) {
    if (e instanceof FileFormatError) throw e;
    return fail(`${cannot} (${describeFsError(e)})`);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** The largest number of symbolic links followed while resolving one path (as Linux's ELOOP). */
const MAX_LINKS = 40;

/** The components of a relative path as written in a file ("/" separates; on Windows also "\\"). */
function components(p: string): string[] {
  return p.split(sep === "\\" ? /[\\/]+/ : /\/+/);
}

function isAbsoluteAnywhere(p: string): boolean {
  return posix.isAbsolute(p) || win32.isAbsolute(p) || /^[a-zA-Z]:/.test(p);
}

/** Where a referenced path leads: a real path inside the folder, or why not. */
type Resolved =
  | { ok: true; path: string; stats: Stats }
  | { ok: false; problem: string }
  | { ok: false; unreadable: string };

/**
 * Resolves `rel` below the folder `root` (a real path), one component at a time, following
 * symbolic links but never looking at anything outside `root` (see the module comment).
 */
async function resolveBelow(root: string, rel: string): Promise<Resolved> {
  // The path still to walk, as a stack (next component last), and the real components walked.
  const pending = components(rel).reverse();
  const done: string[] = [];
  let links = 0;
  const leaves = (): Resolved => ({
    ok: false,
    problem: links > 0 ? "leads out of the model folder through a symbolic link" : "leaves the model folder",
  });
  while (pending.length > 0) {
    const c = pending.pop()!;
    if (c === "" || c === ".") continue;
    if (c === "..") {
      if (done.length === 0) return leaves();
      done.pop();
      continue;
    }
    const here = join(root, done.join(sep), c);
    let st: Stats;
    try {
      st = await lstat(here);
    } catch (e) {
      return { ok: false, unreadable: describeFsError(e) };
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return { ok: false, unreadable: "too many symbolic links" };
      let target: string;
      try {
        target = await readlink(here);
      } catch (e) {
        return { ok: false, unreadable: describeFsError(e) };
      }
      if (isAbsolute(target)) {
        // Only a link back into the folder, written out in full, is followed.
        const inside = relative(root, target);
        if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) return leaves();
        done.length = 0;
        target = inside;
      }
      const parts = components(target);
      for (let k = parts.length - 1; k >= 0; k--) pending.push(parts[k]);
      continue;
    }
    if (pending.length > 0 && !st.isDirectory())
      return { ok: false, unreadable: "a component of the path is not a directory" };
    done.push(c);
  }
  if (done.length === 0) return { ok: false, problem: "is the model folder itself" };
  const path = join(root, done.join(sep));
  try {
    return { ok: true, path, stats: await lstat(path) };
  } catch (e) {
    return { ok: false, unreadable: describeFsError(e) };
  }
}

/** Options of {@link readFileInFolder}. */
export interface FolderFileOptions {
  /** The file that names the path; messages start with it. */
  source: string;
  /** What the path is, for messages (`the weight shard`). */
  what: string;
  /** The largest size allowed (what the naming file declares, capped by the memory limit). */
  maxBytes: number;
  /** Says why a larger file is refused (`the manifest declares 208 bytes for it`). */
  tooLarge: (size: number) => string;
}

/**
 * Reads a file that another file names by a path relative to `folder`, confined to that folder
 * (see the module comment).
 * @returns the bytes (at most `maxBytes`)
 * @throws FileFormatError naming `options.source` and the path as written, never the outside file
 */
export async function readFileInFolder(
  folder: string,
  rel: unknown,
  options: FolderFileOptions,
): Promise<Uint8Array> {
  const { source, what } = options;
  const named = `${what} ${show(rel)}`;
  const fail = (problem: string): never => {
    throw new FileFormatError(source, `${named} ${problem}`);
  };
  const unreadable = (reason: string): never => {
    throw new FileFormatError(source, `cannot read ${named} (${reason})`);
  };
  if (typeof rel !== "string") return fail("is not a string path");
  if (rel === "") return fail("is empty");
  if (rel.includes("\0")) return fail("contains a NUL character");
  if (rel.length > 4096) return fail("is longer than 4096 characters");
  if (isAbsoluteAnywhere(rel)) return fail("is absolute; paths must be relative to the model folder");
  // `..` that climbs out is refused on the text alone, before the file system is asked anything.
  const lexical = posix.normalize(components(rel).join("/"));
  if (lexical === ".." || lexical.startsWith("../")) return fail("leaves the model folder");
  let root: string;
  try {
    root = await realpath(folder);
  } catch (e) {
    throw new FileFormatError(source, `cannot open the model folder (${describeFsError(e)})`);
  }
  const r = await resolveBelow(root, rel);
  if (!r.ok) return "unreadable" in r ? unreadable(r.unreadable) : fail(r.problem);
  if (!r.stats.isFile()) fail(`is ${kindOf(r.stats)}, expected a regular file`);
  if (r.stats.size > options.maxBytes)
    fail(`holds ${r.stats.size} bytes, but ${options.tooLarge(r.stats.size)}`);
  let fh: FileHandle;
  try {
    fh = await open(r.path, constants.O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
  } catch (e) {
    return unreadable(describeFsError(e));
  }
  try {
    const fst = await fh.stat();
    // The file opened must be the one resolved (not swapped for another in between).
    if (!fst.isFile() || fst.ino !== r.stats.ino || fst.dev !== r.stats.dev)
      fail("changed while it was opened");
    if (fst.size > options.maxBytes) fail(`holds ${fst.size} bytes, but ${options.tooLarge(fst.size)}`);
    const bytes = await readExactly(fh, fst.size);
    return typeof bytes === "string" ? fail(bytes) : bytes;
  } catch (e) {
    if (e instanceof FileFormatError) throw e;
    return unreadable(describeFsError(e));
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Reads a small input file named on the command line (a vector, a basis, kernels, evidence) with
 * the guarantees of {@link readInputFile}: regular files only, no larger than the memory limit.
 * @returns the bytes as a Buffer
 * @throws FileFormatError starting with the path
 */
export async function readUserFile(
  path: string,
  what = "file",
  limit = DEFAULT_MEMORY_LIMIT_BYTES,
): Promise<Buffer> {
  const bytes = await readInputFile(path, { expected: "a file", what, limit });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
