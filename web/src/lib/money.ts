import type { Money } from "../api/client";

const formats = new Map<string, Intl.NumberFormat>();

function formatFor(currency: string, locale?: string): Intl.NumberFormat {
  const key = `${locale ?? ""}/${currency.toUpperCase()}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: "currency", currency: currency.toUpperCase() });
    formats.set(key, format);
  }
  return format;
}

/** `{amount: 1999, currency: "usd"}` as a shopper reads it: `$19.99`. */
export function formatMoney(money: Money, locale?: string): string {
  const format = formatFor(money.currency, locale);
  return format.format(money.amount / 10 ** fractionDigits(money.currency));
}

/** How many digits of `currency` are minor units: 2 for `usd`, 0 for `jpy`. */
export function fractionDigits(currency: string): number {
  return formatFor(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** A price typed by a person (`19.99`, `19,99`, `$20`) in minor units, or null. */
export function parseAmount(text: string, fractionDigits = 2): number | null {
  const cleaned = text.replace(/[^\d.,-]/g, "").replace(",", ".");
  if (!/^\d+(\.\d*)?$/.test(cleaned)) return null;
  const [whole = "0", fraction = ""] = cleaned.split(".");
  if (fraction.length > fractionDigits) return null;
  return Number(whole) * 10 ** fractionDigits + Number(fraction.padEnd(fractionDigits, "0") || 0);
}
