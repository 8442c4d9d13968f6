import { describe, expect, it } from "vitest";
import { formatMoney, fractionDigits, parseAmount } from "./money";

describe("formatMoney", () => {
  it("shows minor units as the currency's major unit", () => {
    expect(formatMoney({ amount: 1999, currency: "usd" }, "en-US")).toBe("$19.99");
    expect(formatMoney({ amount: 0, currency: "usd" }, "en-US")).toBe("$0.00");
    expect(formatMoney({ amount: 123456, currency: "eur" }, "de-DE")).toBe("1.234,56\u00a0€");
  });

  it("knows currencies without minor units", () => {
    expect(formatMoney({ amount: 500, currency: "jpy" }, "en-US")).toBe("¥500");
    expect(fractionDigits("jpy")).toBe(0);
    expect(fractionDigits("usd")).toBe(2);
  });
});

describe("parseAmount", () => {
  it("reads what people type", () => {
    expect(parseAmount("19.99")).toBe(1999);
    expect(parseAmount("$20")).toBe(2000);
    expect(parseAmount("19,5")).toBe(1950);
    expect(parseAmount("0.01")).toBe(1);
    expect(parseAmount("500", fractionDigits("jpy"))).toBe(500);
  });

  it("refuses what is not an amount", () => {
    expect(parseAmount("")).toBeNull();
    expect(parseAmount("abc")).toBeNull();
    expect(parseAmount("1.999")).toBeNull();
    expect(parseAmount("-5")).toBeNull();
  });
});
