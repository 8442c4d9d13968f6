// The web app's performance budget, measured against a running API that
// serves it (make bench): the JavaScript the storefront loads first, as
// sent (gzip), and the product page's largest contentful paint in Chromium
// with a cold cache, the median of five loads.
//
//   node web/bench/budget.mjs http://127.0.0.1:18080
import { launch } from "../tests/harness.mjs";

const base = process.argv[2] ?? process.env.BASE_URL ?? "http://127.0.0.1:8080";
const LOADS = 5;

/** Bytes on the wire (gzip) and unpacked of every script the first page loads. */
async function firstLoadScripts() {
  const html = await (await fetch(`${base}/`)).text();
  const paths = [
    ...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g),
  ].map((m) => m[1]);
  let wire = 0;
  let raw = 0;
  for (const path of new Set(paths)) {
    const response = await fetch(`${base}${path}`, { headers: { "accept-encoding": "gzip" } });
    if (response.headers.get("content-encoding") !== "gzip") throw new Error(`${path} was not sent gzipped`);
    // fetch unpacks the body; the length header is what was sent.
    wire += Number(response.headers.get("content-length"));
    raw += (await response.arrayBuffer()).byteLength;
  }
  return { files: new Set(paths).size, wire, raw };
}

/** The product page's largest contentful paint, in ms, from a cold cache. */
async function productLcp(browser, id) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/p/${id}`, { waitUntil: "load" });
  await page.getByRole("heading", { level: 1 }).waitFor();
  const lcp = await page.evaluate(
    () =>
      new Promise((resolve) => {
        new PerformanceObserver((list) => {
          const entries = list.getEntries();
          resolve(entries[entries.length - 1].startTime);
        }).observe({ type: "largest-contentful-paint", buffered: true });
      }),
  );
  await context.close();
  return lcp;
}

const scripts = await firstLoadScripts();
const products = await (await fetch(`${base}/api/v1/products?q=organic%20cotton%20tee&page_size=1`)).json();
const id = products.items[0]?.id;
if (!id) throw new Error("no demo product to load: seed the demo data first");
const chromium = await launch();
const times = [];
for (let i = 0; i < LOADS; i += 1) times.push(await productLcp(chromium.browser, id));
await chromium.close();
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const kib = (n) => (n / 1024).toFixed(1);
console.log(
  `web: storefront first-load JavaScript ${kib(scripts.wire)} KiB gzip (${kib(scripts.raw)} KiB unpacked, ${scripts.files} files; budget 150 KiB)`,
);
console.log(
  `web: product page largest contentful paint ${median.toFixed(0)} ms median of ${LOADS} cold loads (min ${times[0].toFixed(0)}, max ${times[times.length - 1].toFixed(0)}; budget 1000 ms)`,
);
