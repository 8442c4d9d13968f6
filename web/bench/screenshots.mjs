// The README's screenshots, taken from a running shop with the demo data
// (make dev, or the API that scripts/web-e2e.sh starts):
//
//   node web/bench/screenshots.mjs [http://localhost:8080 [docs/screenshots]]
// (scripts/web.sh screenshots starts such a shop and runs it).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launch, uniqueEmail } from "../tests/harness.mjs";

const base = process.argv[2] ?? process.env.BASE_URL ?? "http://localhost:8080";
const out = process.argv[3] ?? "docs/screenshots";
mkdirSync(out, { recursive: true });

const chromium = await launch();
const context = await chromium.browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
const shot = async (name) => {
  await page.waitForLoadState("networkidle");
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(out, `${name}.png`) });
  console.log(`screenshots: ${name}.png`);
};

await page.goto(`${base}/`);
await page.getByRole("heading", { name: "New in" }).waitFor();
await shot("home");

await page.goto(`${base}/c/tops?sort=price_asc`);
await page.getByRole("heading", { name: "Tops", level: 1 }).waitFor();
await shot("category");

await page.goto(`${base}/search?q=organic%20cotton%20tee`);
await page.getByRole("link", { name: "Organic Cotton Tee" }).click();
await page.getByRole("heading", { name: "Organic Cotton Tee", level: 1 }).waitFor();
await page.getByRole("radio", { name: "M", exact: true }).check();
await shot("product");
await page.getByRole("button", { name: "Add to cart" }).click();
await page.getByText(/Added 1 ×/).waitFor();

await page.goto(`${base}/checkout`);
await page.getByLabel("Email").fill(uniqueEmail("screenshot"));
await page.getByLabel("Full name").fill("Ada Shopper");
await page.getByLabel("Street address").fill("1 Main Street");
await page.getByLabel("City").fill("Springfield");
await page.getByLabel("State or region").fill("IL");
await page.getByLabel("Postal code").fill("62701");
await page.getByLabel("Phone").fill("+1 217 555 0100");
await page.getByRole("radio", { name: /Standard/ }).waitFor();
await page.getByLabel("Discount code").fill("WELCOME10");
await page.getByRole("button", { name: "Apply" }).click();
await page.getByText("Welcome: 10% off").first().waitFor();
await shot("checkout");
await page.getByRole("button", { name: /Place order/ }).click();
await page.getByText("Thank you! Your order is placed.").waitFor();
await shot("order");

const admin = await chromium.browser.newContext({ viewport: { width: 1280, height: 800 } });
const adminPage = await admin.newPage();
await adminPage.goto(`${base}/account/sign-in?next=/admin`);
await adminPage.getByLabel("Email").fill("admin@example.com");
await adminPage.getByLabel("Password").fill("supersecretpassword");
await adminPage.getByRole("button", { name: "Sign in" }).click();
await adminPage.getByRole("heading", { name: "Dashboard" }).waitFor();
await adminPage.waitForLoadState("networkidle");
await adminPage.screenshot({ path: join(out, "admin-dashboard.png") });
console.log("screenshots: admin-dashboard.png");
await adminPage.goto(`${base}/admin/products?q=organic%20cotton%20tee`);
await adminPage.getByRole("link", { name: "Organic Cotton Tee" }).click();
await adminPage.getByRole("heading", { name: "Variants and stock" }).waitFor();
await adminPage.waitForLoadState("networkidle");
await adminPage.screenshot({ path: join(out, "admin-product.png") });
console.log("screenshots: admin-product.png");

const phone = await chromium.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
const phonePage = await phone.newPage();
await phonePage.goto(`${base}/search?q=organic%20cotton%20tee`);
await phonePage.getByRole("link", { name: "Organic Cotton Tee" }).click();
await phonePage.getByRole("heading", { name: "Organic Cotton Tee", level: 1 }).waitFor();
await phonePage.waitForLoadState("networkidle");
await phonePage.screenshot({ path: join(out, "product-mobile.png") });
console.log("screenshots: product-mobile.png");
await chromium.close();
