// ESLint flat config for the whole monorepo; the rules live in tooling/eslint.
import { quantforgeConfig } from "@quantforge/eslint-config";

export default quantforgeConfig({ tsconfigRootDir: import.meta.dirname });
