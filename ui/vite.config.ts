/**
 * Vite builds the UI into `dist/`, which the Tauri shell embeds; Vitest runs the unit tests.
 * The dev server port is fixed because `src-tauri/tauri.conf.json` points `devUrl` at it.
 */
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { outDir: "dist", emptyOutDir: true },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test-setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
