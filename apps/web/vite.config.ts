import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The built bundle must run under `script-src 'self'; style-src 'self'`: no inline script or style.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
