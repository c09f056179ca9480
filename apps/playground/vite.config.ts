import { defaultClientConditions, defineConfig } from "vite";

// Relative base: dist/ works when served from any path (vite preview, a static host, file tree).
export default defineConfig({
  base: "./",
  // Workspace packages from their TypeScript sources (their "@quantforge/source" export), so a
  // fresh clone builds the app without building every package's dist first.
  resolve: { conditions: ["@quantforge/source", ...defaultClientConditions] },
  worker: { format: "es" },
  build: { target: "es2022", chunkSizeWarningLimit: 4000 },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
