/** Content hashes that name the images: same inputs, same tag; any change, a new tag. */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";

/** One named input of a hash: a file's relative path and content, or a setting and its value. */
export type HashPart = readonly [name: string, content: string | Buffer];

/**
 * First 12 hex of sha256 over the parts, sorted by name so the order they were gathered in does
 * not matter. Name and content are length-prefixed, so moving bytes between them changes the hash.
 */
export function contentHash(parts: readonly HashPart[]): string {
  const h = createHash("sha256");
  for (const [name, content] of [...parts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const body = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    h.update(`${Buffer.byteLength(name)}:${name}:${body.length}:`);
    h.update(body);
  }
  return h.digest("hex").slice(0, 12);
}

/** Tests are not build inputs: editing one must not rebuild an image. */
export function isTestFile(path: string): boolean {
  return /\.test\.[cm]?[jt]s$/.test(path);
}

/** The folder name of modules only tests use (docs/CONTRACTS.md): not build inputs either. */
export const TEST_HELPERS_DIR = "testing";

/**
 * Every file under `dir` (recursively, skipping node_modules, dot-directories and test helpers'
 * `testing/` folders) except tests, as hash parts named by their path relative to `nameRoot`, with
 * `/` separators.
 */
export async function sourceFileParts(dir: string, nameRoot: string): Promise<HashPart[]> {
  const parts: HashPart[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return parts;
    throw err;
  }
  for (const e of entries) {
    if (!e.isFile() || isTestFile(e.name)) continue;
    const path = join(e.parentPath, e.name);
    const rel = relative(nameRoot, path).split(sep).join("/");
    if (rel.split("/").some((seg) => seg === "node_modules" || seg.startsWith(".") || seg === TEST_HELPERS_DIR)) continue;
    parts.push([rel, await readFile(path)]);
  }
  return parts;
}
