// Exit 0 when node_modules holds exactly what package-lock.json pins and the lock matches
// package.json's dependency lists; 1 otherwise. Plain JS with no dependencies: it runs before
// `npm ci` in a fresh clone. npm's record of what it installed is node_modules/.package-lock.json;
// it leaves out optional packages for other platforms (esbuild's binaries), so those may be absent.
import { readFileSync } from "node:fs";

const read = (f) => JSON.parse(readFileSync(f, "utf8"));
try {
  const manifest = read("package.json");
  const lock = read("package-lock.json");
  const installed = read("node_modules/.package-lock.json").packages;
  const root = lock.packages[""] ?? {};
  const same = (x = {}, y = {}) => JSON.stringify(Object.entries(x).sort()) === JSON.stringify(Object.entries(y).sort());
  if (!same(manifest.dependencies, root.dependencies) || !same(manifest.devDependencies, root.devDependencies)) process.exit(1);
  const locked = Object.entries(lock.packages).filter(([k]) => k !== "");
  for (const [path, pkg] of locked) {
    const got = installed[path];
    if (!got ? !pkg.optional : got.version !== pkg.version || got.integrity !== pkg.integrity) process.exit(1);
  }
  if (Object.keys(installed).length > locked.length) process.exit(1);
  process.exit(0);
} catch {
  process.exit(1);
}
