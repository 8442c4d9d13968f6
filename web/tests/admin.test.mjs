// An admin creates a product with two options, four variants and a photo,
// sees it in the shop, sells out one variant, cancels an order, notes and
// refunds one, and ships one by hand.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ADMIN, BASE_URL, accessible, newPage, signInAsAdmin, uniqueEmail, useChromium } from "./harness.mjs";

const chromium = useChromium();

/** A guest's order of `quantity` of the first product `search` finds, placed (and paid) through the API. */
async function guestOrder(search, quantity = 1) {
  const context = await chromium.current.browser.newContext();
  const api = context.request;
  const products = await (await api.get(`${BASE_URL}/api/v1/products?q=${encodeURIComponent(search)}`)).json();
  const variant = products.items[0].variants[0].id;
  assert.equal((await api.post(`${BASE_URL}/api/v1/cart/items`, { data: { variant_id: variant, quantity } })).status(), 200);
  const address = {
    name: "Olive Order",
    phone: "+1 555 0100",
    street1: "5 Oak Lane",
    city: "Boston",
    state: "MA",
    postal_code: "02108",
    country: "US",
  };
  const placed = await api.post(`${BASE_URL}/api/v1/orders`, {
    data: { email: uniqueEmail("olive"), shipping_address: address, billing_address: address, payment_method: "manual" },
  });
  assert.equal(placed.status(), 201, await placed.text());
  const order = await placed.json();
  await context.close();
  return order;
}

/** A PNG photo drawn by the browser itself. */
async function photo(page) {
  const data = await page.evaluate(() => {
    const canvas = document.createElement("canvas");
    canvas.width = 320;
    canvas.height = 320;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#c0392b";
    ctx.fillRect(0, 0, 320, 320);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(80, 120, 160, 80);
    return canvas.toDataURL("image/png").split(",")[1];
  });
  return { name: "cap.png", mimeType: "image/png", buffer: Buffer.from(data, "base64") };
}

test("a shopper cannot open the admin", async () => {
  const page = await newPage(chromium.current.browser);
  await page.goto(`${BASE_URL}/admin`);
  await page.getByRole("heading", { name: "Admins only" }).waitFor();
  await page.getByText("Sign in with an admin account to open the admin.").waitFor();
  await page.context().close();
});

test("an admin creates a product with variants and a photo, and sells one variant out", async () => {
  const page = await newPage(chromium.current.browser);
  await signInAsAdmin(page);
  await accessible(page, "the dashboard");
  const lowStock = page.getByTestId("low-stock");
  await lowStock.filter({ hasText: /^\d+$/ }).waitFor();
  const lowBefore = Number(await lowStock.textContent());

  await page.getByRole("link", { name: "Products" }).click();
  await page.getByRole("link", { name: "New product" }).click();
  const name = `Trail Cap ${Date.now()}`;
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Brand").fill("Fieldline");
  await page.getByLabel("Description").fill("A light cap for long days outside.");
  await page.getByLabel("Category").selectOption({ label: "Apparel › Accessories" });
  await page.getByLabel("Base SKU").fill(`CAP${Date.now() % 100000}`);
  await page.getByLabel("Price", { exact: true }).fill("25");
  await page.getByRole("button", { name: "Add an option" }).click();
  await page.getByLabel("Option 1 name").fill("Size");
  await page.getByLabel("Option 1 values").fill("S, L");
  await page.getByRole("button", { name: "Add an option" }).click();
  await page.getByLabel("Option 2 name").fill("Color");
  await page.getByLabel("Option 2 values").fill("Red, Blue");
  for (const label of ["S / Red", "S / Blue", "L / Red", "L / Blue"]) {
    await page.getByLabel(`Stock of ${label}`).fill("6");
  }
  await page.getByRole("group", { name: "Variants (4)" }).waitFor();
  await accessible(page, "the new product form");
  await page.getByRole("button", { name: "Create product" }).click();
  await page.getByRole("heading", { name, level: 1 }).waitFor();

  const [chooser] = await Promise.all([
    page.waitForEvent("filechooser"),
    page.getByText("Choose photos").click(),
  ]);
  await chooser.setFiles(await photo(page));
  await page.getByText("Photo added.").waitFor();
  await page.getByRole("img", { name }).first().waitFor();
  await accessible(page, "the product editor");
  const productUrl = page.url();
  const id = productUrl.split("/").pop();

  // In the shop: the photo and the four combinations.
  const shop = await newPage(chromium.current.browser);
  await shop.goto(`${BASE_URL}/p/${id}`);
  await shop.getByRole("heading", { name, level: 1 }).waitFor();
  const main = shop.getByRole("img", { name }).first();
  await main.waitFor();
  assert.ok((await main.evaluate((img) => img.naturalWidth)) > 0, "the photo loads");
  await shop.getByRole("radio", { name: "S", exact: true }).check();
  await shop.getByRole("radio", { name: "Red", exact: true }).waitFor();

  // Sold out in the admin, shown as such in the shop.
  await page.getByRole("spinbutton", { name: "Stock of S / Red" }).fill("0");
  await page.getByRole("button", { name: "Save S / Red" }).click();
  await page.getByRole("row", { name: /S \/ Red/ }).getByRole("cell", { name: "0", exact: true }).waitFor();
  await shop.reload();
  await shop.getByRole("radio", { name: "S", exact: true }).check();
  await shop.getByRole("radio", { name: "Red (sold out)" }).check();
  await shop.getByRole("button", { name: "Sold out" }).waitFor();
  assert.equal(await shop.getByRole("button", { name: "Sold out" }).isDisabled(), true);
  await shop.getByRole("radio", { name: "Blue", exact: true }).check();
  await shop.getByRole("button", { name: "Add to cart" }).waitFor();
  // The dashboard counts it among the variants running out.
  await page.getByRole("link", { name: "Dashboard" }).click();
  await lowStock.filter({ hasText: String(lowBefore + 1) }).waitFor();
  await page.goBack();
  await page.getByRole("heading", { name, level: 1 }).waitFor();

  // A new price for one variant, seen in the shop.
  await page.getByRole("textbox", { name: "Price of L / Blue" }).fill("27.50");
  await page.getByRole("button", { name: "Save L / Blue" }).click();
  await page.getByRole("row", { name: /L \/ Blue/ }).getByRole("textbox", { name: "Price of L / Blue" }).waitFor();
  await shop.reload();
  await shop.getByRole("radio", { name: "L", exact: true }).check();
  await shop.getByRole("radio", { name: "Blue", exact: true }).check();
  await shop.locator(".price.big").getByText("$27.50").waitFor();

  // Into a collection, which the shop lists.
  await page.getByRole("link", { name: "Collections" }).click();
  const title = `Summer ${Date.now()}`;
  await page.getByLabel("Title").fill(title);
  await page.getByRole("button", { name: "Create collection" }).click();
  const collection = page.getByRole("region", { name: `Collection ${title}` });
  await collection.getByLabel(`Add a product to ${title}`).fill(name);
  await collection.getByRole("button", { name: `Add ${name} to ${title}` }).click();
  await collection.getByRole("button", { name: `Remove ${name} from ${title}` }).waitFor();
  await accessible(page, "collections");
  const handle = (await collection.locator(".muted").textContent()).replace("/collections/", "");
  await shop.goto(`${BASE_URL}/collections/${handle}`);
  await shop.getByRole("heading", { name: title, level: 1 }).waitFor();
  await shop.getByRole("link", { name }).waitFor();
  assert.deepEqual(page.problems, []);
  assert.deepEqual(shop.problems, []);
  await shop.context().close();
  await page.context().close();
});

test("an admin cancels an order and sees it refunded", async () => {
  const order = await guestOrder("headlamp");
  const page = await newPage(chromium.current.browser);
  await signInAsAdmin(page);
  await page.getByRole("link", { name: "Orders" }).click();
  await page.getByRole("link", { name: order.order_number }).click();
  await page.getByRole("heading", { name: `Order ${order.order_number}` }).waitFor();
  await accessible(page, "an order in the admin");
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: "Cancel and refund" }).click();
  await page.waitForFunction(
    () => document.querySelector('[data-testid="admin-order-status"]')?.textContent === "Cancelled",
  );
  assert.equal(await page.getByTestId("admin-payment-status").textContent(), "refunded");
  await page.getByRole("list", { name: "Timeline" }).getByText("Cancelled", { exact: true }).waitFor();

  // Found again among today's refunded orders.
  await page.getByRole("link", { name: "All orders" }).click();
  await page.getByLabel("Payment").selectOption("refunded");
  const today = new Date();
  const day = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}-${String(today.getDate()).padStart(2, "0")}`;
  await page.getByLabel("From").fill(day);
  await page.getByLabel("To").fill(day);
  await page.getByRole("link", { name: order.order_number }).waitFor();
  await accessible(page, "the admin's filtered orders");
  await page.getByLabel("Payment").selectOption("failed");
  await page.getByRole("link", { name: order.order_number }).waitFor({ state: "detached" });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("an admin notes an order and refunds part of it, and sees it partially refunded", async () => {
  // Two headlamps: 69.98, shipped free, with 8% tax.
  const order = await guestOrder("headlamp", 2);
  const page = await newPage(chromium.current.browser);
  await signInAsAdmin(page);
  await page.goto(`${BASE_URL}/admin/orders/${order.id}`);
  await page.getByRole("heading", { name: `Order ${order.order_number}` }).waitFor();

  const note = "Called the customer: leave the parcel with a neighbour.";
  await page.getByLabel("Note", { exact: true }).fill(note);
  await page.getByRole("button", { name: "Add note" }).click();
  const entry = page.getByRole("list", { name: "Timeline" }).getByRole("listitem").filter({ hasText: note });
  await entry.getByText("Staff note", { exact: true }).waitFor();
  await entry.getByText(ADMIN.email).waitFor();

  const refunds = page.getByRole("region", { name: "Refunds" });
  assert.equal(await page.getByTestId("admin-refunded").textContent(), "$0.00");
  await refunds.getByLabel("Amount to refund").fill("10");
  await refunds.getByLabel("Reason for the refund").fill("Arrived a week late");
  await accessible(page, "an order's refund form in the admin");
  await refunds.getByRole("button", { name: "Refund", exact: true }).click();
  await page.waitForFunction(
    () => document.querySelector('[data-testid="admin-payment-status"]')?.textContent === "partially refunded",
  );
  assert.equal(await page.getByTestId("admin-refunded").textContent(), "$10.00");
  await refunds.getByRole("row", { name: /Arrived a week late/ }).getByText("given back").waitFor();

  // More than is left is refused, in words.
  await refunds.getByLabel("Amount to refund").fill("500");
  await refunds.getByLabel("Reason for the refund").fill("Goodwill");
  await refunds.getByRole("button", { name: "Refund", exact: true }).click();
  const refused = /^The refund of 500\.00 USD is more than the .* of the payment not yet refunded\.$/;
  await refunds.getByRole("alert").filter({ hasText: refused }).waitFor();
  assert.equal(await page.getByTestId("admin-refunded").textContent(), "$10.00");
  await accessible(page, "a partially refunded order in the admin");

  // The order's history: the note and the refund, who made them and what
  // changed; the refused refund left nothing.
  await page.getByRole("link", { name: "History of changes" }).click();
  await page.getByRole("heading", { name: "Audit log", level: 1 }).waitFor();
  await page.getByRole("status").filter({ hasText: "2 changes, newest first" }).waitFor();
  const refunded = page.getByRole("row", { name: /POST \/api\/v1\/admin\/orders\/.*\/refunds/ });
  await refunded.getByText("payment_status: paid → partially_refunded").waitFor();
  await refunded.getByRole("cell", { name: ADMIN.email, exact: true }).waitFor();
  await accessible(page, "an order's history in the admin");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("an admin marks an order shipped by hand with its carrier and tracking number", async () => {
  const page = await newPage(chromium.current.browser);
  await signInAsAdmin(page);
  // Placed only now: in the journeys the worker ships an order some 11 s
  // after it is placed (WAREHOUSE_PROCESSING_TIME=10s, then the carrier).
  const order = await guestOrder("hammock");
  await page.goto(`${BASE_URL}/admin/orders/${order.id}`);
  await page.getByRole("heading", { name: `Order ${order.order_number}` }).waitFor();
  await page.getByLabel("Carrier").fill("Parcelway");
  await page.getByLabel("Tracking number").fill("PW-2044-7781");
  await page.getByRole("button", { name: "Mark shipped" }).click();
  await page.getByTestId("admin-tracking").filter({ hasText: "Parcelway PW-2044-7781" }).waitFor();
  await page
    .getByRole("list", { name: "Timeline" })
    .getByText("shipped by hand with Parcelway, tracking number PW-2044-7781")
    .waitFor();
  await page.getByRole("button", { name: "Mark shipped" }).waitFor({ state: "detached" });
  await accessible(page, "an order shipped by hand in the admin");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("an admin opens shipping to a new country with its tax, and a shopper there is charged both", async () => {
  const page = await newPage(chromium.current.browser);
  await signInAsAdmin(page);
  await page.getByRole("link", { name: "Shipping" }).click();
  await page.getByRole("heading", { name: "Shipping zones" }).waitFor();
  await page.getByLabel("Zone name").fill("Canada");
  await page.getByLabel("Country").selectOption("CA");
  await page.getByLabel("Method name").fill("Canada Post");
  await page.getByLabel("Price", { exact: true }).fill("9.99");
  await page.getByLabel("Free from (optional)").fill("100");
  await page.getByLabel("Delivery days").fill("4-8");
  await accessible(page, "shipping zones");
  await page.getByRole("button", { name: "Create zone" }).click();
  await page.getByText("Canada Post: $9.99, free from $100.00 · 4–8 days").waitFor();

  await page.getByRole("link", { name: "Tax" }).click();
  await page.getByRole("heading", { name: "Tax rates" }).waitFor();
  await page.getByLabel("Country").selectOption("CA");
  await page.getByLabel("Rate in percent").fill("5");
  await accessible(page, "tax rates");
  await page.getByRole("button", { name: "Create rate" }).click();
  await page.getByRole("cell", { name: "5%" }).waitFor();
  for (const section of ["Categories", "Users", "Discounts", "Returns", "Dead letters", "Audit log"]) {
    await page.getByRole("link", { name: section, exact: true }).click();
    await page.getByRole("heading", { name: section, level: 1 }).waitFor();
    await accessible(page, `the admin's ${section.toLowerCase()}`);
  }
  await page.context().close();

  const shopper = await newPage(chromium.current.browser);
  await shopper.goto(`${BASE_URL}/search?q=electric%20kettle`);
  await shopper.getByRole("link", { name: "Electric Kettle" }).click();
  await shopper.getByRole("button", { name: "Add to cart" }).click();
  await shopper.getByText(/Added 1 × Electric Kettle/).waitFor();
  await shopper.goto(`${BASE_URL}/checkout`);
  await shopper.getByLabel("Country").selectOption("CA");
  await shopper.getByRole("radio", { name: /Canada Post — \$9\.99/ }).waitFor();
  const summary = shopper.getByRole("complementary", { name: "Order summary" });
  // 49.99 + 9.99 shipping + 5% of 49.99 (2.50, rounded half up) = 62.48.
  await summary.getByText("$2.50").waitFor();
  await summary.getByText("$62.48").first().waitFor();
  assert.deepEqual(shopper.problems, []);
  await shopper.context().close();
});

test("an admin creates a code, changes it, and a shopper gets the new discount", async () => {
  const page = await newPage(chromium.current.browser);
  await signInAsAdmin(page);
  await page.getByRole("link", { name: "Discounts" }).click();
  const code = `SPRING${Date.now() % 100000}`;
  await page.getByLabel("Code").fill(code);
  await page.getByLabel("Percent off").fill("15");
  await page.getByLabel("Total uses (optional)").fill("3");
  await page.getByRole("button", { name: "Create discount" }).click();
  const row = page.getByRole("row", { name: new RegExp(code) });
  await row.getByText("15% off").waitFor();
  await row.getByText("0 of 3").waitFor();
  await page.getByRole("button", { name: `Edit ${code}` }).click();
  await page.getByRole("heading", { name: `Change ${code}` }).waitFor();
  await page.getByLabel("Percent off").fill("20");
  await page.getByRole("button", { name: "Save discount" }).click();
  await row.getByText("20% off").waitFor();
  await page.context().close();

  const shopper = await newPage(chromium.current.browser);
  await shopper.goto(`${BASE_URL}/search?q=chef%27s%20knife`);
  await shopper.getByRole("link", { name: "Chef's Knife" }).click();
  await shopper.getByRole("button", { name: "Add to cart" }).click();
  await shopper.getByText(/Added 1 × Chef's Knife/).waitFor();
  await shopper.goto(`${BASE_URL}/cart`);
  await shopper.getByLabel("Discount code").fill(code.toLowerCase());
  await shopper.getByRole("button", { name: "Apply" }).click();
  // 20% of 89.00.
  await shopper.getByRole("complementary", { name: "Order summary" }).getByText("−$17.80").waitFor();
  assert.deepEqual(shopper.problems, []);
  await shopper.context().close();
});
