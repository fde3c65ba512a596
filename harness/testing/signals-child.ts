/**
 * A tiny CLI run for signals.test.ts: installs the interrupt handlers, defers a teardown step that
 * takes TEARDOWN_MS, waits "forever" on the run signal, and exits like a harness CLI does.
 */
import { exitCodeFor, formatError } from "../errors.js";
import { sleep } from "../async/sleep.js";
import { installInterruptHandlers } from "../lifecycle/signals.js";
import { TeardownStack } from "../lifecycle/teardown-stack.js";

const teardownMs = Number(process.env.TEARDOWN_MS ?? "0");
const controller = new AbortController();
const teardown = new TeardownStack();
installInterruptHandlers({ controller, teardown });
teardown.defer(async () => {
  process.stdout.write("teardown started\n");
  await sleep(teardownMs);
  process.stdout.write("teardown done\n");
}, "slow step");

try {
  process.stdout.write("ready\n");
  await sleep(600_000, controller.signal);
} catch (err) {
  process.stdout.write(`${formatError(err)}\n`);
  process.exitCode = exitCodeFor(err);
} finally {
  await teardown.dispose();
  process.stdout.write("exiting\n");
}
