import Table from "cli-table3";
import { describe, expect, it } from "vitest";
import { colorEnabled, tableStyle } from "./color.js";

const ESC = "\u001b[";
const render = (style: ReturnType<typeof tableStyle>) => {
  const t = new Table({ head: ["scenario", "fault"], style });
  t.push(["kill-leader", "SIGKILL"]);
  return t.toString();
};

describe("colour", () => {
  it("only for a terminal, and never with NO_COLOR or TERM=dumb", () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "" })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { TERM: "dumb" })).toBe(false);
  });

  // cli-table3's own default (red heads) colours only where @colors/colors detects a terminal, so
  // whether it would emit codes here depends on how the tests are run; tableStyle never leaves it
  // to that default.
  it("tables to a pipe or under NO_COLOR carry no escape code", () => {
    expect(render(tableStyle({ isTTY: false }, {}))).not.toContain(ESC);
    expect(render(tableStyle({ isTTY: true }, { NO_COLOR: "1" }))).not.toContain(ESC);
    expect(tableStyle({ isTTY: true }, {})).toEqual({ head: ["bold"], border: ["grey"] });
  });
});
