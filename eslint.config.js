// The layer rule (docs/CONTRACTS.md): scenarios import only harness/index.ts; harness imports neither
// scenarios/ nor fixtures/; emulations import nothing from harness/ (their tests: harness/testing/index.ts).
// Test helpers live in testing/ folders, which only tests (and other helpers) import.
// Type-aware linting is left to tsc.
import tseslint from "typescript-eslint";

const TESTS = ["**/*.test.ts", "**/testing/**"];
const rule = (...patterns) => ({ "no-restricted-imports": ["error", { patterns }] });

const harnessLayer = [
  { group: ["**/scenarios/**", "**/scenarios"], message: "harness/ must not import scenarios/ (layer rule)." },
  { group: ["**/fixtures/**", "**/fixtures"], message: "harness/ must not import fixtures/ (layer rule)." },
];
const fixturesLayer = [
  { group: ["**/scenarios/**"], message: "fixtures/ must not import scenarios/ (layer rule)." },
];
const testHelpers = { regex: "(^|/)testing(/|$)", message: "testing/ holds test helpers: only tests import them (docs/CONTRACTS.md)." };

export default tseslint.config(
  { ignores: ["node_modules/**", "reports/**", "build/**"] },
  {
    files: ["**/*.ts"],
    languageOptions: { parser: tseslint.parser },
  },
  // Later entries replace the rule's options of earlier ones for the files they match.
  { files: ["harness/**/*.ts"], rules: rule(...harnessLayer) },
  { files: ["harness/**/*.ts"], ignores: TESTS, rules: rule(...harnessLayer, testHelpers) },
  {
    files: ["scenarios/**/*.ts"],
    rules: rule({ regex: "^\\.\\./harness/(?!index\\.js$)", message: "scenarios/ may import only harness/index.js (layer rule)." }),
  },
  {
    // The bench's entry point: the bench is a tool about the harness, kept out of its public index.
    files: ["scenarios/bench.ts"],
    rules: rule({ regex: "^\\.\\./harness/(?!index\\.js$|bench/index\\.js$)", message: "scenarios/bench.ts may import only harness/index.js and harness/bench/index.js (layer rule)." }),
  },
  {
    // Emulations run inside the images: they import nothing from harness/, and no test helper.
    files: ["fixtures/**/*.ts"],
    ignores: TESTS,
    rules: rule(...fixturesLayer, { regex: "(^|/)harness(/|$)", message: "emulations run in the images and must not import harness/ (layer rule)." }, testHelpers),
  },
  {
    files: TESTS.map((glob) => `fixtures/${glob}`),
    rules: rule(...fixturesLayer, {
      regex: "^(\\.\\./)+harness/(?!testing/index\\.js$)",
      message: "fixtures/ tests and test helpers may import only harness/testing/index.js (layer rule; it keeps them off the engine).",
    }),
  },
);
