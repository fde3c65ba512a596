import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixtureHash } from "./fixture-image.js";
import { contentHash, sourceFileParts } from "./hash.js";

describe("contentHash", () => {
  it("is 12 hex digits and does not depend on the order of the parts", () => {
    const h = contentHash([["a", "1"], ["b", "2"]]);
    expect(h).toMatch(/^[0-9a-f]{12}$/);
    expect(contentHash([["b", "2"], ["a", "1"]])).toBe(h);
    expect(contentHash([["a", Buffer.from("1")], ["b", "2"]])).toBe(h);
  });

  it("changes with any content, any name, and with bytes moved between name and content", () => {
    const h = contentHash([["a", "1"], ["b", "2"]]);
    expect(contentHash([["a", "1"], ["b", "3"]])).not.toBe(h);
    expect(contentHash([["a", "1"], ["c", "2"]])).not.toBe(h);
    expect(contentHash([["a", "1"]])).not.toBe(h);
    expect(contentHash([["ab", "c"]])).not.toBe(contentHash([["a", "bc"]]));
  });
});

describe("fixtureHash", () => {
  let root: string;
  const put = async (rel: string, text: string): Promise<void> => {
    await mkdir(join(root, rel, ".."), { recursive: true });
    await writeFile(join(root, rel), text);
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "k8sm-hash-test-"));
    await put("package-lock.json", '{"lockfileVersion":3}');
    await put("fixtures/emulations/km/main.ts", "console.log('km')\n");
    await put("fixtures/emulations/common/flags.ts", "export {}\n");
    await put("fixtures/emulations/common/flags.test.ts", "// a test\n");
    await put("fixtures/nginx.conf", "events {}\n");
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const hash = (baseTag = "k8sm-harness/base:aaaaaaaaaaaa"): Promise<string> => fixtureHash({ root, baseTag });

  it("is stable when nothing changed", async () => {
    expect(await hash()).toBe(await hash());
  });

  it("changes when a fixture source, a new file, package-lock.json or the base tag changes", async () => {
    const before = await hash();
    expect(await hash("k8sm-harness/base:bbbbbbbbbbbb")).not.toBe(before);

    await put("fixtures/emulations/common/flags.ts", "export const x = 1;\n");
    const afterEdit = await hash();
    expect(afterEdit).not.toBe(before);

    await put("fixtures/emulations/podmaster/main.ts", "\n");
    const afterAdd = await hash();
    expect(afterAdd).not.toBe(afterEdit);

    await put("package-lock.json", '{"lockfileVersion":3,"x":1}');
    expect(await hash()).not.toBe(afterAdd);
  });

  it("ignores tests, test helpers, node_modules and dot-directories", async () => {
    const before = await hash();
    await put("fixtures/emulations/common/flags.test.ts", "// edited test\n");
    await put("fixtures/emulations/testing/run-km.ts", "// a test helper\n");
    await put("fixtures/emulations/km/main.docker.test.ts", "// new docker test\n");
    await put("fixtures/node_modules/x/index.js", "x\n");
    await put("fixtures/.cache/y", "y\n");
    expect(await hash()).toBe(before);
  });

  it("names files by their path relative to the root, with / separators", async () => {
    const names = (await sourceFileParts(join(root, "fixtures"), root)).map(([n]) => n).sort();
    expect(names).toEqual(["fixtures/emulations/common/flags.ts", "fixtures/emulations/km/main.ts", "fixtures/nginx.conf"]);
  });

  it("treats a missing fixtures/ directory as empty", async () => {
    await rm(join(root, "fixtures"), { recursive: true });
    expect(await hash()).toMatch(/^[0-9a-f]{12}$/);
  });
});
