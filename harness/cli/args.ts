/** Option checks shared by the CLIs: each failure is an InputError (exit 2) naming the option. */
import { constants } from "node:fs";
import { access, mkdir, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { InputError } from "../errors.js";

/** An integer option in [min, max]; `def` when absent. */
export function intOption(name: string, raw: string | undefined, def: number, min: number, max: number, hint?: string): number {
  if (raw === undefined) return def;
  if (!/^-?\d+$/.test(raw.trim())) throw new InputError(`--${name} must be an integer, got "${raw}"`, hint);
  const n = Number(raw);
  if (n < min || n > max) throw new InputError(`--${name} must be between ${min} and ${max}, got ${n}`, hint);
  return n;
}

/**
 * A directory option: created if missing, and it must be writable. Empty is refused (it would
 * resolve to the current directory and scatter files there). Returns the absolute path.
 *
 * No recursive mkdir on a path nobody checked (on procfs Node's recursive mkdir loops for ever):
 * the nearest existing ancestor must be a directory the process may write to, every missing name
 * must be one the file system can take, and only then are the missing levels created one by one.
 * A refused option creates nothing (levels made before a failure are removed again).
 */
export async function writableDirOption(name: string, raw: string | undefined, def: string): Promise<string> {
  if (raw !== undefined && raw.trim() === "") throw new InputError(`--${name} must not be empty`, `give a directory, e.g. --${name} reports/`);
  const dir = path.resolve(raw ?? def);
  const refuse = (why: string): never => {
    throw new InputError(`--${name} ${dir} is not a writable directory (${why})`, "choose a directory you can write to");
  };
  const missing: string[] = [];
  let existing = dir;
  for (;;) {
    const st = await stat(existing).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") refuse(`${err.code ?? err.message}${existing === dir ? "" : ` at ${existing}`}`);
      return undefined;
    });
    if (st) {
      if (!st.isDirectory()) refuse(existing === dir ? "ENOTDIR" : `ENOTDIR: ${existing} is not a directory`);
      break;
    }
    missing.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  await access(existing, constants.W_OK).catch((err: NodeJS.ErrnoException) => refuse(`${err.code ?? err.message}${existing === dir ? "" : ` at ${existing}`}`));
  const tooLong = missing.find((n) => Buffer.byteLength(n) > NAME_MAX);
  if (tooLong !== undefined) refuse(`ENAMETOOLONG: "${tooLong.slice(0, 40)}…" is longer than ${NAME_MAX} bytes`);
  const created: string[] = [];
  try {
    let parent = existing;
    for (const level of missing) {
      const next = path.join(parent, level);
      parent = next;
      // Made meanwhile by someone else (another run): fine if it is a directory, and not ours to remove.
      const made = await mkdir(next).then(
        () => true,
        async (err: NodeJS.ErrnoException) => {
          if (err.code === "EEXIST" && (await stat(next)).isDirectory()) return false;
          throw err;
        },
      );
      if (made) created.push(next);
    }
    if (created.length) await access(dir, constants.W_OK);
  } catch (err) {
    for (const d of created.reverse()) await rmdir(d).catch(() => {});
    refuse((err as NodeJS.ErrnoException).code ?? (err as Error).message);
  }
  return dir;
}

/** Longest file name most Linux file systems take, in bytes. */
const NAME_MAX = 255;
