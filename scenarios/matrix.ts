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

/** Trials per scenario on the correct system, and per (scenario, bug) unless the catalogue says more. */
export const PROOF_REPEAT = { correct: 3, bug: 2 } as const;

export interface ProofCase {
  readonly scenario: string;
  readonly bug: string;
  /** The check whose verdict the bug must turn to `fail`. */
  readonly check: string;
  /** `--set` the scenario needs for the bug to bite (besides `bug.<name>=true`). */
  readonly sets: readonly string[];
  /** Trials the proof runs (more where one trial catches the bug only with some probability). */
  readonly trials: number;
  readonly note?: string;
  /** Why no check catches it yet: listed, not run. */
  readonly unproven?: string;
}

/** Every (scenario, bug) pair, in catalogue order of the scenarios, then of the bugs. */
export const PROOF_MATRIX: readonly ProofCase[] = scenarios.flatMap((s) =>
  BUGS.flatMap((b) =>
    b.targets
      .filter((t) => t.scenario === s.name)
      .map((t) => ({
        scenario: s.name,
        bug: b.name,
        check: t.check,
        sets: t.sets ?? [],
        trials: t.trials ?? PROOF_REPEAT.bug,
        ...(t.note ? { note: t.note } : {}),
        ...(t.unproven ? { unproven: t.unproven } : {}),
      })),
  ),
);


const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** docs/MATRIX.md. */
export function matrixMarkdown(): string {
  const lines = [
    "# The proof matrix: which planted bug each scenario catches, and with which check",
    "",
    "Generated from the bug catalogue (`harness/topology/bugs.ts`) by `npm run matrix:docs`; a unit test",
    "(`scenarios/matrix.test.ts`) fails when this file is out of date. The Docker-tier test",
    `\`scenarios/matrix.docker.test.ts\` (\`npm run test:matrix\`, about 20 minutes; not part of \`npm test\`) proves every row`,
    `(fast profile): each scenario passes \`--repeat ${PROOF_REPEAT.correct}\` on the`,
    `correct system, and with each bug of its rows (\`--set bug.<name>=true\`, the trials column) it fails with the named check:`,
    "the run's verdict is fail and the check failed in at least one trial. A row marked *not proven* names a bug no check catches yet.",
    "What each check asserts: `docs/ORACLE.md`. What each bug models: `--list` and `harness/topology/bugs.ts`.",
    "",
    "| scenario | planted bug | check that must fail | trials | extra --set | why |",
    "| --- | --- | --- | --- | --- | --- |",
    ...PROOF_MATRIX.map(
      (c) =>
        `| ${c.scenario} | \`${c.bug}\` | ${c.unproven ? `*not proven*: ${cell(c.unproven)}` : `\`${c.check}\``} | ${c.unproven ? "—" : c.trials} | ${c.sets.map((x) => `\`${x}\``).join(" ") || "—"} | ${cell(c.note ?? "")} |`,
    ),
    "",
    "Bugs each scenario is proven to catch:",
    "",
    ...scenarios.map((s) => `- ${s.name}: ${PROOF_MATRIX.filter((c) => c.scenario === s.name && !c.unproven).map((c) => `\`${c.bug}\``).join(", ") || "**none**"}`),
    "",
  ];
  return lines.join("\n");
}

if (process.argv.includes("--write")) {
  const file = new URL("../docs/MATRIX.md", import.meta.url);
  await writeFile(file, matrixMarkdown());
  process.stdout.write(`wrote ${file.pathname}\n`);
}
