import { defineConfig } from "vitest/config";

// The Tauri window loads the built files from ui/dist; the dev server is only
// for `tauri dev`. No inline scripts or styles, so the strict CSP holds.
export default defineConfig({
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari15",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.ts"],
  },
});
