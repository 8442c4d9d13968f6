// A guest buys a variant of a product found by searching, with a discount
// code, and watches the order reach `delivered` without reloading.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BASE_URL, accessible, newPage, uniqueEmail, useChromium } from "./harness.mjs";

const chromium = useChromium();

test("a guest searches, picks a variant, applies a code, checks out and sees it delivered", async () => {
  const page = await newPage(chromium.current.browser);
  await page.goto(BASE_URL);
  await page.getByRole("heading", { name: "New in" }).waitFor();
  await accessible(page, "the home page");

  // Results as you type, chosen with the keyboard.
  const search = page.getByRole("combobox", { name: "Search products" });
  await search.fill("cotton tee");
  await page.getByRole("option", { name: /Organic Cotton Tee/ }).waitFor();
  await search.press("ArrowDown");
  await search.press("Enter");
  await page.getByRole("heading", { name: "Organic Cotton Tee", level: 1 }).waitFor();
  await accessible(page, "the product page");

  await page.getByRole("radio", { name: "M", exact: true }).check();
  await page.getByRole("radio", { name: "Navy", exact: true }).check();
  await page.getByRole("status").filter({ hasText: "In stock" }).waitFor();
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.getByText("Added 1 × Organic Cotton Tee to your cart.").waitFor();
  assert.equal(await page.locator(".badge").textContent(), "1");

  await page.getByRole("link", { name: /^Cart/ }).click();
  await page.getByRole("heading", { name: "Your cart" }).waitFor();
  await page.getByText("Color: Navy, Size: M").waitFor();
  // A code that does not exist is explained, not shown as a code.
  await page.getByLabel("Discount code").fill("NOSUCHCODE");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.getByRole("alert").filter({ hasText: "We do not recognise that code." }).waitFor();
  await page.getByLabel("Discount code").fill("welcome10");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.getByRole("list", { name: "Applied codes" }).getByText("WELCOME10").waitFor();
  await page.getByText("Welcome: 10% off").waitFor();
  await accessible(page, "the cart");

  await page.getByRole("link", { name: "Check out" }).click();
  await page.getByRole("heading", { name: "Checkout" }).waitFor();
  const email = uniqueEmail("guest");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Full name").fill("Grace Guest");
  await page.getByLabel("Street address").fill("1 Main Street");
  await page.getByLabel("City").fill("Springfield");
  await page.getByLabel("State or region").fill("IL");
  await page.getByLabel("Postal code").fill("62701");
  await page.getByLabel("Country").selectOption("US");
  await page.getByLabel("Phone").fill("+1 217 555 0100");
  // The seeded zone's method, priced for this cart (24.00 - 10% is under the
  // free-shipping threshold).
  await page.getByRole("radio", { name: /Standard/ }).waitFor();
  const summary = page.getByRole("complementary", { name: "Order summary" });
  await summary.getByText("Welcome: 10% off").waitFor();
  // 24.00 - 2.40 = 21.60; tax 8% of it = 1.73; shipping 5.99: 29.32.
  await summary.getByText("$29.32").first().waitFor();
  await accessible(page, "checkout");

  await page.getByRole("button", { name: /Place order/ }).click();
  await page.getByText("Thank you! Your order is placed.").waitFor();
  assert.match(page.url(), /\/orders\/lookup\?token=/);
  await accessible(page, "the order page");

  // The worker advances the order; the page follows without a reload.
  const status = page.getByTestId("order-status");
  await page.waitForFunction(
    () => document.querySelector('[data-testid="order-status"]')?.textContent === "Delivered",
    null,
    { timeout: 60_000, polling: 250 },
  );
  assert.equal(await status.textContent(), "Delivered");
  const timeline = page.getByRole("list", { name: "Timeline" });
  for (const step of ["Confirmed", "Being prepared", "Shipped", "Delivered"]) {
    await timeline.getByText(step, { exact: true }).first().waitFor();
  }
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("a bad address is named field by field and nothing is ordered", async () => {
  const page = await newPage(chromium.current.browser, { mobile: true });
  await page.goto(`${BASE_URL}/search?q=kettle`);
  await page.getByRole("link", { name: "Electric Kettle" }).click();
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.getByText(/Added 1 × Electric Kettle/).waitFor();
  await page.goto(`${BASE_URL}/checkout`);
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Full name").fill("Ned Nowhere");
  await page.getByLabel("Street address").fill("2 Side Street");
  await page.getByLabel("City").fill("Springfield");
  await page.getByLabel("Postal code").fill("62701");
  await page.getByLabel("Phone").fill("+1 217 555 0101");
  await page.getByRole("radio", { name: /Standard/ }).waitFor();
  await page.getByRole("button", { name: /Place order/ }).click();
  await page.getByRole("alert").filter({ hasText: "Please correct the highlighted fields." }).waitFor();
  const emailField = page.getByLabel("Email");
  assert.equal(await emailField.getAttribute("aria-invalid"), "true");
  // The cart is untouched: the order was not placed.
  await page.goto(`${BASE_URL}/cart`);
  await page.getByRole("link", { name: "Electric Kettle" }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("search suggests categories as well as products, and results narrow by where they are found, by brand and by price range", async () => {
  const page = await newPage(chromium.current.browser);
  await page.goto(BASE_URL);
  const search = page.getByRole("combobox", { name: "Search products" });

  // A category among the completions, opened with the keyboard.
  await search.fill("kitch");
  const kitchen = page.getByRole("option", { name: /^Kitchen\s*Category$/ });
  await kitchen.waitFor();
  assert.equal(await page.getByRole("option").first().textContent(), await kitchen.textContent());
  await search.press("ArrowDown");
  await search.press("Enter");
  await page.getByRole("heading", { name: "Kitchen", level: 1 }).waitFor();

  // The categories a search's results are in, with how many.
  await search.fill("wireless");
  await search.press("Enter");
  await page.getByRole("heading", { name: "Results for “wireless”" }).waitFor();
  const status = page.locator("#results");
  const found = page.getByRole("navigation", { name: "Categories found" });
  const where = found.getByRole("listitem").first();
  await where.waitFor();
  await accessible(page, "search results with the categories and price ranges found");
  const [, name, count] = (await where.textContent()).match(/^(.+?)\s*\((\d+)\)$/);
  await where.getByRole("link").click();
  await page.getByRole("heading", { name, level: 1 }).waitFor();
  await status.filter({ hasText: new RegExp(`^${count} products?$`) }).waitFor();
  assert.equal(new URL(page.url()).searchParams.get("q"), "wireless", "the search is kept");

  // A price range, with the count it promised.
  await page.goto(`${BASE_URL}/search?q=mat`);
  // A brand, with the count it promised, and back to every brand.
  const brands = page.getByRole("navigation", { name: "Brands" });
  const brandItem = brands.getByRole("listitem").first();
  await brandItem.waitFor();
  const [, brandName, brandCount] = (await brandItem.textContent()).match(/^(.+?)\s*\((\d+)\)$/);
  await brandItem.getByRole("button").click();
  await status.filter({ hasText: new RegExp(`^${brandCount} products?$`) }).waitFor();
  assert.equal(new URL(page.url()).searchParams.get("brand"), brandName);
  await brands.getByRole("button", { name: "Any brand" }).click();
  await brands.getByRole("listitem").first().waitFor();

  const ranges = page.getByRole("navigation", { name: "Price ranges" });
  const range = ranges.getByRole("listitem").first();
  await range.waitFor();
  const [, promised] = (await range.textContent()).match(/\((\d+)\)$/);
  await range.getByRole("button").click();
  await status.filter({ hasText: new RegExp(`^${promised} products?$`) }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
