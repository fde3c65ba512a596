/**
 * The design of a study: its cells (the full grid of the factors' values), the false-failover
 * arm's cells, and the batches that run them. A batch is k trials of one cell on one topology (one
 * `executeRun` with `repeat` k): a launch costs about as much as two or three trials, so one
 * topology per trial would triple a study's time. The batches of every cell and arm are put in one
 * seeded random order, so a drift of the machine over the study (load, a warm page cache) is not
 * confounded with a factor; each batch has its own seed, derived from the study's, which places
 * its trials' faults at uniformly random phases of the renewal period.
 */
import { seededRandom } from "../runner/plan.js";
import type { StudyDefinition } from "./definition.js";

export type Arm = "failover" | "false-failover";

export interface Cell {
  readonly arm: Arm;
  /** Factor → value (`--set` syntax), in the definition's factor order. */
  readonly values: Readonly<Record<string, string>>;
  /** `ttl-secs=10,sleep=1s` (the arm's cells: their own factors only); stable, used as the cell's id. */
  readonly key: string;
}

export interface Batch {
  readonly cell: Cell;
  /** Trials in this batch. */
  readonly repeat: number;
  /** The batch's ordinal within its cell (0, 1, ...): with the cell key it derives the seed. */
  readonly ordinal: number;
  readonly seed: number;
}

export function cellKey(values: Readonly<Record<string, string>>): string {
  return Object.entries(values).map(([k, v]) => `${k}=${v}`).join(",") || "(base)";
}

/** The full grid, in the definition's order (first factor slowest). */
export function studyCells(def: StudyDefinition): Cell[] {
  let rows: Record<string, string>[] = [{}];
  for (const [k, vs] of Object.entries(def.factors)) rows = rows.flatMap((r) => vs.map((v) => ({ ...r, [k]: v })));
  return rows.map((values) => ({ arm: "failover", values, key: cellKey(values) }));
}

/** The false-failover arm's cells: the grid of its factors (one cell, the base, when it has none); none when the arm is off. */
export function falseFailoverCells(def: StudyDefinition): Cell[] {
  if (def.falseFailover.replicates === 0) return [];
  let rows: Record<string, string>[] = [{}];
  for (const k of def.falseFailover.factors) rows = rows.flatMap((r) => def.factors[k]!.map((v) => ({ ...r, [k]: v })));
  return rows.map((values) => ({ arm: "false-failover", values, key: cellKey(values) }));
}

/** The `--set` list of a cell: the study's own sets, then the cell's values; factors the arm does not vary take their first value. */
export function cellSets(def: StudyDefinition, cell: Cell): string[] {
  const values = { ...Object.fromEntries(Object.entries(def.factors).map(([k, vs]) => [k, vs[0]!])), ...cell.values };
  return [...def.sets, ...Object.entries(values).map(([k, v]) => `${k}=${v}`)];
}

/** The failover cell a false-failover cell's rate applies to: the one whose lease factors match. */
export function armCellFor(def: StudyDefinition, cell: Cell, arm: readonly Cell[]): Cell | undefined {
  return arm.find((a) => def.falseFailover.factors.every((f) => a.values[f] === cell.values[f]));
}

/** 32-bit FNV-1a of a string: a stable hash to derive seeds from names. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The seed of a batch: the study's seed, the arm, the cell and the batch's ordinal, hashed (stable across resumes). */
export function batchSeed(studySeed: number, cell: Cell, ordinal: number): number {
  return hash32(`${studySeed}|${cell.arm}|${cell.key}|${ordinal}`) & 0x7fffffff;
}

/** How many trials each cell still needs (cell key with arm → count), and the ordinals its earlier batches took. */
export interface Progress {
  readonly finished: ReadonlyMap<string, number>;
  readonly ordinalsUsed: ReadonlyMap<string, number>;
}

export const NO_PROGRESS: Progress = { finished: new Map(), ordinalsUsed: new Map() };

export const armKey = (cell: Pick<Cell, "arm" | "key">): string => `${cell.arm}:${cell.key}`;

/**
 * The batches still to run: per cell, its remaining trials (replicates − finished) cut into batches
 * of at most `batchSize`, the last one smaller; then all batches shuffled (Fisher–Yates) with a
 * PRNG seeded by the study's seed and how many batches came before (a resumed study draws a new
 * order for what remains, still seeded).
 */
export function planBatches(def: StudyDefinition, progress: Progress = NO_PROGRESS): Batch[] {
  const batches: Batch[] = [];
  const arms: [Cell[], number][] = [
    [studyCells(def), def.replicates],
    [falseFailoverCells(def), def.falseFailover.replicates],
  ];
  for (const [cells, replicates] of arms) {
    for (const cell of cells) {
      let left = Math.max(0, replicates - (progress.finished.get(armKey(cell)) ?? 0));
      let ordinal = progress.ordinalsUsed.get(armKey(cell)) ?? 0;
      while (left > 0) {
        const repeat = Math.min(def.batchSize, left);
        batches.push({ cell, repeat, ordinal, seed: batchSeed(def.seed, cell, ordinal) });
        left -= repeat;
        ordinal += 1;
      }
    }
  }
  const used = [...progress.ordinalsUsed.values()].reduce((a, b) => a + b, 0);
  const rnd = seededRandom(hash32(`${def.seed}|order|${used}`));
  for (let i = batches.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [batches[i], batches[j]] = [batches[j]!, batches[i]!];
  }
  return batches;
}
