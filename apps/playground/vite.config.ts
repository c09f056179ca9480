import { defineConfig } from "vite";

// Relative base: dist/ works when served from any path (vite preview, a static host, file tree).
export default defineConfig({
  base: "./",
  build: { target: "es2022", chunkSizeWarningLimit: 4000 },
  worker: { format: "es" },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
