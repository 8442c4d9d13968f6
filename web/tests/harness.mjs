// Shared by the browser journeys: Debian's Chromium driven by
// playwright-core, axe-core for accessibility, and the mail directory the
// worker writes emails into.
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { chromium } from "playwright-core";

export const BASE_URL = process.env.BASE_URL ?? "http://127.0.0.1:8080";
export const MAIL_DIR = process.env.MAIL_DIR ?? "";
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/**
 * A fresh browser. Playwright starts Chromium on a new, empty profile
 * (`--user-data-dir` in a temporary directory of its own) and removes it
 * on close.
 */
export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/**
 * A page in a new context (its own cookies) that fails the test on any
 * console error or refused request the app did not expect, e.g. a
 * Content-Security-Policy violation.
 */
export async function newPage(browser, { mobile = false } = {}) {
  const context = await browser.newContext(
    mobile ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 900 } },
  );
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems = [];
  page.on("console", (message) => {
    const text = message.text();
    // A 4xx the page handles (a refused code, a wrong password) is logged by
    // the browser as a failed resource; those are expected.
    if (message.type() === "error" && !/status of 4\d\d/.test(text)) problems.push(text);
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  page.problems = problems;
  return page;
}

/** One browser for the tests of a file: `.current` once they start. */
export function useChromium() {
  const holder = { current: null };
  before(async () => {
    holder.current = await launch();
  });
  after(async () => {
    await holder.current?.close();
  });
  return holder;
}

/** Fails with every serious accessibility problem on the page as it is now. */
export async function accessible(page, where) {
  assert.deepEqual(await axeViolations(page), [], `accessibility problems on ${where}`);
}

/** Serious and critical axe-core violations on the page as it is now. */
export async function axeViolations(page) {
  await page.evaluate(AXE);
  const results = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")}`);
}

/** The newest email to `to` whose subject matches, waiting for it to arrive. */
export async function waitForEmail(to, subject, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const name of readdirSync(MAIL_DIR).sort().reverse()) {
      if (!name.endsWith(".eml")) continue;
      const text = readMessage(readFileSync(join(MAIL_DIR, name), "utf8"));
      if (new RegExp(`^To: .*${escape(to)}`, "mi").test(text) && subject.test(text)) return text;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no email to ${to} matching ${subject} within ${timeoutMs} ms`);
}

/** A message's headers followed by its parts' bodies, decoded. */
function readMessage(raw) {
  const [head = "", ...rest] = raw.split(/\r?\n\r?\n/);
  const parts = rest.join("\n\n").split(/\r?\n--[^\r\n]+/);
  const bodies = parts.map((part) => {
    const match = part.match(/Content-Transfer-Encoding:\s*(\S+)[\s\S]*?\r?\n\r?\n([\s\S]*)/i);
    if (!match) return part;
    const [, encoding = "", content = ""] = match;
    if (/base64/i.test(encoding)) return Buffer.from(content.replace(/\s/g, ""), "base64").toString("utf8");
    if (/quoted-printable/i.test(encoding)) {
      const bytes = content
        .replace(/=\r?\n/g, "")
        .replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
      return Buffer.from(bytes, "latin1").toString("utf8");
    }
    return content;
  });
  return [head, ...bodies].join("\n\n");
}

/** The first link in `email` to a path of this shop. */
export function linkIn(email, path) {
  const match = email.replace(/&amp;/g, "&").match(new RegExp(`https?://[^\\s"<>]*${escape(path)}[^\\s"<>]*`));
  if (!match) throw new Error(`no link to ${path} in the email`);
  return match[0];
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The demo admin that `api seed` creates. */
export const ADMIN = { email: "admin@example.com", password: "supersecretpassword" };

/** Signs `page` in as the demo admin, on the admin's dashboard. */
export async function signInAsAdmin(page) {
  await page.goto(`${BASE_URL}/account/sign-in?next=/admin`);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
}

let counter = 0;
/** An email address no other test uses. */
export function uniqueEmail(who) {
  counter += 1;
  return `${who}-${Date.now()}-${counter}@example.com`;
}
