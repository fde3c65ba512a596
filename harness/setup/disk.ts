/** Free-space checks before building images, and the one message for a full disk. */
import { existsSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import { HarnessError } from "../errors.js";

const GiB = 1024 ** 3;

export function formatBytes(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

/** True when a command's output says the disk is full (ENOSPC in any of its usual spellings). */
export function looksLikeDiskFull(text: string): boolean {
  return /no space left on device|ENOSPC|disk quota exceeded/i.test(text);
}

export function diskFullError(what: string, detail?: string): HarnessError {
  const line = detail?.split("\n").find((l) => looksLikeDiskFull(l))?.trim();
  return new HarnessError(
    "E_DISK_FULL",
    `${what}: the disk is full${line ? ` (${line})` : ""}`,
    "Free disk space (for example `docker image prune`, or remove old k8sm-harness/* images), then run `npm run setup` again.",
  );
}

/** Free bytes for an unprivileged writer on the file system holding `path` (or its nearest existing parent). */
export async function freeBytes(path: string): Promise<number> {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  const s = await statfs(p);
  return s.bavail * s.bsize;
}

/**
 * Throws `E_DISK_FULL` when the file system holding `path` has less than `needBytes` free.
 * `what` names the consumer in the message ("debootstrap work dir", "Docker data root").
 */
export async function requireFreeSpace(path: string, needBytes: number, what: string): Promise<void> {
  const howTo = what.startsWith("Docker") ? "for example `docker image prune`" : "or point TMPDIR at a roomier file system";
  const free = await freeBytes(path);
  if (free >= needBytes) return;
  throw new HarnessError(
    "E_DISK_FULL",
    `not enough free disk space for the ${what} at ${path}: ${formatBytes(free)} free, ${formatBytes(needBytes)} needed`,
    `Free at least ${formatBytes(needBytes - free)} on the file system holding ${path} (${howTo}), then run \`npm run setup\` again.`,
  );
}
