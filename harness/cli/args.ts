/** Option checks shared by the CLIs: each failure is an InputError (exit 2) naming the option. */
import { constants } from "node:fs";
import { access, mkdir } from "node:fs/promises";
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
 */
export async function writableDirOption(name: string, raw: string | undefined, def: string): Promise<string> {
  if (raw !== undefined && raw.trim() === "") throw new InputError(`--${name} must not be empty`, `give a directory, e.g. --${name} reports/`);
  const dir = path.resolve(raw ?? def);
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new InputError(`--${name} ${dir} is not a writable directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, "choose a directory you can write to");
  }
  return dir;
}
