/**
 * Colour on the console only for a person at a terminal: never when `NO_COLOR` is set to anything
 * (https://no-color.org), never to a pipe or a file (CI logs, `> out.txt`), never on a dumb terminal.
 */
export function colorEnabled(stream: { readonly isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

/**
 * cli-table3's `style` for a table printed to `stream`: bold heads and grey borders at a terminal,
 * no escape codes otherwise. Never cli-table3's default: its red heads read like an error.
 */
export function tableStyle(stream: { readonly isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): { head: string[]; border: string[] } {
  return colorEnabled(stream, env) ? { head: ["bold"], border: ["grey"] } : { head: [], border: [] };
}
