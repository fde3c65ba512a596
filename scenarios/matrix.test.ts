import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { BUGS, FAST_SPEC, resolvePlan } from "../harness/index.js";
import { scenarios } from "./index.js";
import { matrixMarkdown, PROOF_MATRIX } from "./matrix.js";

describe("the proof matrix", () => {
  it("gives every scenario at least one planted bug it is proven to catch", () => {
    for (const s of scenarios) expect(PROOF_MATRIX.filter((c) => c.scenario === s.name && !c.unproven).length, `${s.name} catches no planted bug`).toBeGreaterThan(0);
  });

  it("names only scenarios of the catalogue, and checks each scenario really runs", () => {
    for (const b of BUGS) for (const t of b.targets) expect(scenarios.map((s) => s.name), `${b.name} targets ${t.scenario}`).toContain(t.scenario);
    for (const c of PROOF_MATRIX) {
      const def = scenarios.find((s) => s.name === c.scenario)!;
      const checks = ["healthy-baseline", ...resolvePlan({ scenario: def, spec: FAST_SPEC, repeat: 1, seed: 1, options: {} }).checks.map((k) => k.check)];
      expect(checks, `${c.scenario} × ${c.bug}: the check ${c.check} is not among the scenario's checks`).toContain(c.check);
    }
  });

  it("is the table in docs/MATRIX.md (regenerate with npm run matrix:docs)", async () => {
    expect(await readFile(new URL("../docs/MATRIX.md", import.meta.url), "utf8")).toBe(matrixMarkdown());
  });
});
