/**
 * Files written whole or not at all, whatever moment the process dies: under a hidden temporary
 * name beside the file, then renamed into place. Every report writer of the harness (run reports,
 * run indexes, studies, the nightly job) uses these.
 */
import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

/** A name beside `file` for writing it before it is renamed into place (hidden, unique to this write). */
export function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(3).toString("hex")}`);
}

/** `file` whole or not at all, whenever the process dies: written under a temporary name, then renamed. */
export async function writeAtomic(file: string, content: string): Promise<void> {
  const tmp = tempName(file);
  try {
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}
