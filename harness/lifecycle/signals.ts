/**
 * Ctrl-C handling for a run. The first SIGINT/SIGTERM aborts the run's one AbortController (reason:
 * `InterruptedError`, so the CLI exits 130 via `exitCodeFor`) and starts the teardown; the CLI's own
 * `finally` awaits the same (idempotent) teardown, writes its reports and exits. A second signal
 * while that is going on only says so; a third abandons the cleanup and exits 130 at once.
 */
import { InterruptedError } from "../errors.js";
import type { TeardownStack } from "./teardown-stack.js";

export interface InterruptHandlerOptions {
  /** Aborted on the first signal, with an `InterruptedError` as reason. */
  readonly controller: AbortController;
  /** Disposed on the first signal (the CLI may await `dispose()` too: it is idempotent). */
  readonly teardown: TeardownStack;
  /** Where the messages go. @default a line on process.stderr */
  readonly log?: (line: string) => void;
}

export interface InterruptHandlers extends Disposable {
  /** The signal that interrupted the run, once one did. */
  readonly interruptedBy: NodeJS.Signals | undefined;
  /** Removes the handlers (the default signal behaviour returns). Idempotent. */
  uninstall(): void;
}

export const STILL_CLEANING_UP = "still cleaning up, press Ctrl-C again to abandon (run npm run reap later)";

const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];
/** Signals within this many ms of the last counted one are the same press (see onSignal). */
export const SAME_PRESS_MS = 250;

export function installInterruptHandlers(options: InterruptHandlerOptions): InterruptHandlers {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  let count = 0;
  let interruptedBy: NodeJS.Signals | undefined;

  let lastAt = -Infinity;
  const onSignal = (sig: NodeJS.Signals): void => {
    // One Ctrl-C under `npm run` arrives twice: from the terminal (the whole foreground process group)
    // and forwarded by npm. Signals closer together than a person can press are one press.
    const now = performance.now();
    if (now - lastAt < SAME_PRESS_MS) return;
    lastAt = now;
    count++;
    if (count === 1) {
      interruptedBy = sig;
      process.exitCode = 130;
      log(`interrupted (${sig}): stopping the run and tearing down`);
      options.controller.abort(new InterruptedError(`interrupted by ${sig}`));
      // Whoever awaits dispose() gets its error; this call only makes sure teardown starts now.
      options.teardown.dispose().catch(() => {});
    } else if (count === 2) {
      log(STILL_CLEANING_UP);
    } else {
      log("abandoning the cleanup: run `npm run reap` to remove what is left");
      process.exit(130);
    }
  };

  for (const sig of SIGNALS) process.on(sig, onSignal);
  let installed = true;
  const uninstall = (): void => {
    if (!installed) return;
    installed = false;
    for (const sig of SIGNALS) process.off(sig, onSignal);
  };
  return {
    get interruptedBy() {
      return interruptedBy;
    },
    uninstall,
    [Symbol.dispose]: uninstall,
  };
}
