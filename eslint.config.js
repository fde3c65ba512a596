// The layer rule (ARCHITECTURE.md): scenarios import only harness/index.ts (and fixtures/ topology
// factories); harness imports neither scenarios/ nor fixtures/. Type-aware linting is left to tsc.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "reports/**", "build/**"] },
  {
    files: ["**/*.ts"],
    languageOptions: { parser: tseslint.parser },
  },
  {
    files: ["harness/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["**/scenarios/**", "**/scenarios"], message: "harness/ must not import scenarios/ (layer rule)." },
          { group: ["**/fixtures/**", "**/fixtures"], message: "harness/ must not import fixtures/ (layer rule)." },
        ],
      }],
    },
  },
  {
    files: ["scenarios/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { regex: "^\\.\\./harness/(?!index\\.js$)", message: "scenarios/ may import only harness/index.js (layer rule)." },
        ],
      }],
    },
  },
  {
    // Emulations run inside the images: they import nothing from harness/ (tests may use its test helpers).
    files: ["fixtures/**/*.ts"],
    ignores: ["fixtures/**/*.test.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["**/scenarios/**"], message: "fixtures/ must not import scenarios/ (layer rule)." },
          { regex: "(^|/)harness(/|$)", message: "emulations run in the images and must not import harness/ (layer rule)." },
        ],
      }],
    },
  },
  {
    files: ["fixtures/**/*.test.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["**/scenarios/**"], message: "fixtures/ must not import scenarios/ (layer rule)." },
          { regex: "^(\\.\\./)+harness/(?!index\\.js$)", message: "fixtures/ tests may import only harness/index.js (layer rule)." },
        ],
      }],
    },
  },
);
