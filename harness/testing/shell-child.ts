/**
 * A tiny command for shell.test.ts: runs under the shell, defers a teardown step, and waits on
 * ctx.signal "forever", so the test can interrupt it as a user would.
 */
import { sleep } from "../async/sleep.js";
import { defineCommand, runCommand } from "../cli/shell.js";

const waits = defineCommand({
  name: "shell-child",
  usage: "node shell-child.ts",
  summary: "Waits until interrupted.",
  options: {},
  optionHelp: {},
  async run(ctx) {
    ctx.teardown.defer(() => void process.stdout.write("teardown ran\n"), "note");
    ctx.progress("ready");
    await sleep(600_000, ctx.signal);
    return 0;
  },
});

process.exitCode = await runCommand(waits, process.argv.slice(2));
