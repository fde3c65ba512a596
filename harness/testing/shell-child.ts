/**
 * A tiny command for shell.test.ts: runs under the shell, defers a teardown step, and waits on
 * ctx.signal "forever", so the test can interrupt it as a user would. With SHELL_CHILD_STALL=1 it
 * instead awaits a promise nothing will ever settle (the event loop drains with the command under way).
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
    if (process.env.SHELL_CHILD_STALL === "1") {
      ctx.progress("stalling");
      await new Promise<void>(() => {});
    }
    // The teardown waits for a line on stdin: the interrupt handlers stay installed until the test
    // has sent every signal it means to (it may be descheduled between two kill() calls).
    ctx.teardown.defer(async () => {
      await new Promise<void>((resolve) => {
        process.stdin.once("data", () => resolve());
        process.stdin.once("end", () => resolve());
      });
      process.stdin.destroy();
      process.stdout.write("teardown ran\n");
    }, "note");
    ctx.progress("ready");
    await sleep(600_000, ctx.signal);
    return 0;
  },
});

process.exitCode = await runCommand(waits, process.argv.slice(2));
