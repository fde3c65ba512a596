import { describe, expect, it } from "vitest";
import { importedPackages, packageClosure, packageOf, runnerInputs } from "./runner-image.js";

describe("the runner image's packages", () => {
  it("packageOf: bare specifiers name their package; node: and relative ones none", () => {
    expect(packageOf("dockerode")).toBe("dockerode");
    expect(packageOf("ajv/dist/2020.js")).toBe("ajv");
    expect(packageOf("@scope/name/sub")).toBe("@scope/name");
    expect(packageOf("node:fs")).toBeUndefined();
    expect(packageOf("./x.js")).toBeUndefined();
  });

  it("importedPackages: static imports, import() and side-effect imports", () => {
    const src = `import a from "alpha";\nimport type { B } from "beta/x";\nawait import("gamma");\nimport "delta";\nimport { x } from "./local.js";`;
    expect([...importedPackages([["a.ts", src], ["notes.md", `from "epsilon"`]])].sort()).toEqual(["alpha", "beta", "delta", "gamma"]);
  });

  it("packageClosure resolves as Node does (nested first), skips what is not installed, and lists no folder inside another", () => {
    const lock = {
      packages: {
        "": {},
        "node_modules/a": { dependencies: { b: "^1", c: "^1" } },
        "node_modules/a/node_modules/b": { dependencies: { d: "^1" } },
        "node_modules/b": { dependencies: { unused: "^1" } },
        "node_modules/c": { optionalDependencies: { "other-platform": "^1" } },
        "node_modules/d": {},
        "node_modules/other-platform": {},
        "node_modules/unused": {},
      },
    };
    const installed = (p: string): boolean => p !== "node_modules/other-platform";
    expect(packageClosure(lock, ["a"], installed)).toEqual(["node_modules/a", "node_modules/c", "node_modules/d"]);
  });

  it("this checkout: the harness's own imports, the test-only ones left out, tsx in", async () => {
    const { packages, sources } = await runnerInputs();
    for (const p of ["dockerode", "undici", "ajv", "tsx", "esbuild", "vega-lite", "cli-table3"]) expect(packages).toContain(`node_modules/${p}`);
    for (const p of ["vitest", "typescript", "eslint", "playwright-core"]) expect(packages).not.toContain(`node_modules/${p}`);
    const names = sources.map(([n]) => n);
    expect(names).toContain("scenarios/main.ts");
    expect(names).toContain("docs/result.schema.json");
    expect(names.some((n) => /\.test\.ts$/.test(n) || n.includes("/testing/"))).toBe(false);
  });
});
