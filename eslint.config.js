// ESLint runs here for one job: the asyncio-ts plugin's rules over the examples, with type
// information (`npm run lint:examples`). Biome stays the project's linter and formatter.
import tseslint from "typescript-eslint";
import asyncioTs from "./dist/src/eslint-plugin/index.js";

export default [
  {
    files: ["examples/**/*.ts"],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  { ...asyncioTs.configs.recommended, files: ["examples/**/*.ts"] },
];
