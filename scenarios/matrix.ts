/**
 * The proof matrix: for every scenario, the planted bugs it must catch and the check
 * that must fail on each. Built from the bug catalogue's targets (harness/topology/bugs.ts), so
 * the table in docs/MATRIX.md, the unit test that keeps it current and the Docker-tier test that
 * proves it (scenarios/matrix.docker.test.ts) read one source.
 *
 * `npm run matrix:docs` rewrites docs/MATRIX.md from it.
 */
import { writeFile } from "node:fs/promises";
import { BUGS } from "../harness/index.js";
import { scenarios } from "./index.js";

export interface ProofCase {
  readonly scenario: string;
  readonly bug: string;
  /** The check whose verdict the bug must turn to `fail`. */
  readonly check: string;
  /** `--set` the scenario needs for the bug to bite (besides `bug.<name>=true`). */
  readonly sets: readonly string[];
  readonly note?: string;
}

/** Every (scenario, bug) pair, in catalogue order of the scenarios, then of the bugs. */
export const PROOF_MATRIX: readonly ProofCase[] = scenarios.flatMap((s) =>
  BUGS.flatMap((b) =>
    b.targets.filter((t) => t.scenario === s.name).map((t) => ({ scenario: s.name, bug: b.name, check: t.check, sets: t.sets ?? [], ...(t.note ? { note: t.note } : {}) })),
  ),
);

/** How many trials the proof of each case runs, and how many the correct system runs per scenario. */
export const PROOF_REPEAT = { correct: 3, bug: 2 } as const;

const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** docs/MATRIX.md. */
export function matrixMarkdown(): string {
  const lines = [
    "# The proof matrix: which planted bug each scenario catches, and with which check",
    "",
    "Generated from the bug catalogue (`harness/topology/bugs.ts`) by `npm run matrix:docs`; a unit test",
    "(`scenarios/matrix.test.ts`) fails when this file is out of date. The Docker-tier test",
    `\`scenarios/matrix.docker.test.ts\` proves every row (fast profile): each scenario passes \`--repeat ${PROOF_REPEAT.correct}\` on the`,
    `correct system, and with each bug of its rows (\`--set bug.<name>=true\`, ${PROOF_REPEAT.bug} trials) it fails with the named check.`,
    "What each check asserts: `docs/ORACLE.md`. What each bug models: `--list` and `harness/topology/bugs.ts`.",
    "",
    "| scenario | planted bug | check that must fail | extra --set | why |",
    "| --- | --- | --- | --- | --- |",
    ...PROOF_MATRIX.map((c) => `| ${c.scenario} | \`${c.bug}\` | \`${c.check}\` | ${c.sets.map((x) => `\`${x}\``).join(" ") || "—"} | ${cell(c.note ?? "")} |`),
    "",
    "Bugs per scenario:",
    "",
    ...scenarios.map((s) => `- ${s.name}: ${PROOF_MATRIX.filter((c) => c.scenario === s.name).map((c) => `\`${c.bug}\``).join(", ") || "**none**"}`),
    "",
  ];
  return lines.join("\n");
}

if (process.argv.includes("--write")) {
  const file = new URL("../docs/MATRIX.md", import.meta.url);
  await writeFile(file, matrixMarkdown());
  process.stdout.write(`wrote ${file.pathname}\n`);
}
