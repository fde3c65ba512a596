/**
 * For harness/robustness/closed-output.test.ts: a command that writes progress (stderr) and
 * results (stdout) for a while, with a teardown step that leaves a marker file, so the test can
 * close either stream under it and see that the work and its cleanup still ran.
 */
import { writeFile } from "node:fs/promises";
import { sleep } from "../async/sleep.js";
import { defineCommand, runCommand } from "../cli/shell.js";

const talks = defineCommand({
  name: "output-child",
  usage: "node output-child.ts --marker FILE",
  summary: "Writes lines for a while, then exits; its teardown writes FILE.",
  options: { marker: { type: "string" } },
  optionHelp: { marker: ["FILE", "written by the teardown"] },
  async run(ctx) {
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
