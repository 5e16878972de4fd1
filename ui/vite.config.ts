/**
 * Vite build of Warren's management UI: ui/ → dist/ui/ with relative asset paths, so the broker can
 * serve it from any prefix. Everything is bundled (no CDN, no web fonts).
 *
 * `npx vite --config ui/vite.config.ts` runs a dev server that proxies /api to WARREN_API (default: a
 * Warren started with managementPort 15672, or any RabbitMQ management listener).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const api = process.env['WARREN_API'] ?? 'http://127.0.0.1:15672';

export default defineConfig({
  root,
  base: './',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  server: { proxy: { '/api': { target: api, changeOrigin: true } } },
});
