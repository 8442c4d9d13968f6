import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// `npm run dev` (make web-dev): hot reload on :5173, the API's routes
// proxied to the running API so cookies stay same-origin. The proxy speaks
// as the API's own origin, which the cookie-authenticated routes expect.
const api = process.env.GOKART_API ?? "http://localhost:8080";
const sameOrigin = {
  target: api,
  changeOrigin: true,
  configure(proxy: { on(event: "proxyReq", listener: (request: { setHeader(name: string, value: string): void }) => void): void }) {
    proxy.on("proxyReq", (request) => request.setHeader("origin", api));
  },
};

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    sourcemap: false,
    target: "es2022",
  },
  server: {
    port: 5173,
    proxy: {
      "/api": sameOrigin,
      "/media": sameOrigin,
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
