import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Anchored to this folder so the output is apps/web/dist whatever directory vite runs from.
const root = import.meta.dirname;

export default defineConfig({
  root,
  plugins: [react()],
  build: {
    outDir: `${root}/dist`,
    emptyOutDir: true,
    // The built bundle must run under `script-src 'self'; style-src 'self'`: no inline script,
    // no inline style, no data: URLs for small assets.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: {
    // Without a proxy the dev server's SPA fallback answers API paths with index.html.
    // 5001 is the server's default PORT; same origin keeps the cookies and CSRF header working.
    proxy: Object.fromEntries(
      ["/healthz", "/readyz", "/console/api", "/v1"].map((p) => [p, "http://127.0.0.1:5001"]),
    ),
  },
});
