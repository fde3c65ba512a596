/**
 * For harness/robustness/closed-output.test.ts: a command that writes progress (stderr) and
 * results (stdout) for a while, with a teardown step that leaves a marker file, so the test can
 * close either stream under it and see that the work and its cleanup still ran; or (`--settles`)
 * one whose work is already settled when Ctrl-C comes.
 */
import { writeFile } from "node:fs/promises";
import { sleep } from "../async/sleep.js";
import { defineCommand, runCommand } from "../cli/shell.js";

const talks = defineCommand({
  name: "output-child",
  usage: "node output-child.ts --marker FILE",
  summary: "Writes lines for a while, then exits; its teardown writes FILE.",
  options: { marker: { type: "string" }, late: { type: "boolean" }, settles: { type: "boolean" } },
  optionHelp: {
    marker: ["FILE", "written by the teardown"],
    late: "say ready, then write one summary to stdout as the last thing (as a run does)",
    settles: "say ready, and once interrupted finish anyway and call workDone (a run whose reports were being written)",
  },
  async run(ctx) {
    if (ctx.args.values.settles) {
      ctx.progress("ready");
      await sleep(600_000, ctx.signal).catch(() => {});
      await sleep(200);
      ctx.workDone();
      return 0;
    }
    if (ctx.args.values.late) {
      // Nothing after the summary, no teardown step either: nothing gives a closed pipe's error a turn.
      ctx.progress("ready");
      await sleep(500, ctx.signal);
      await writeFile(ctx.args.values.marker!, "work done\n");
      ctx.out(`summary ${"·".repeat(2_000)}`);
      return 0;
    }
    ctx.teardown.defer(() => writeFile(ctx.args.values.marker!, "teardown ran\n"), "marker");
    for (let i = 0; i < 40; i++) {
      ctx.progress(`step ${i} ${"·".repeat(200)}`);
      ctx.out(`result ${i} ${"·".repeat(200)}`);
      await sleep(10, ctx.signal);
    }
    return 0;
  },
});

process.exitCode = await runCommand(talks, process.argv.slice(2));
