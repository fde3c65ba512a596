import { randomBytes } from "node:crypto";

/**
 * A run id `<yyyymmdd-hhmmss>-<4 hex>` (UTC), e.g. `20250101-120000-3fa2`: sorts by start time,
 * lower case, and safe in Docker container and network names.
 */
export function newRunId(now: Date = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  const date = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}`;
  const time = `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${date}-${time}-${randomBytes(2).toString("hex")}`;
}

export const RUN_ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{4}$/;
