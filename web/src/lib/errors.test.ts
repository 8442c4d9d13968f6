import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import { codeReason, fieldError, humanError } from "./errors";

describe("humanError", () => {
  it("says which product ran out, as the shop words it", () => {
    const gone = new ApiError(409, { code: "insufficient_stock", message: "only 2 of Blue Shirt in stock" });
    expect(humanError(gone)).toBe("Only 2 of Blue Shirt in stock.");
  });

  it("turns the checkout conflicts into sentences", () => {
    for (const code of ["price_changed", "discount_exhausted", "discount_expired"]) {
      const text = humanError(new ApiError(409, { code, message: "raw" }));
      expect(text).not.toContain("_");
      expect(text).toMatch(/^[A-Z].*\.$/);
    }
  });

  it("says why a refund or a return is refused, in the shop's words", () => {
    const tooMuch = new ApiError(409, {
      code: "refund_exceeds_paid",
      message: "the refund of 50.00 USD is more than the 30.00 USD of the payment not yet refunded",
    });
    expect(humanError(tooMuch)).toBe("The refund of 50.00 USD is more than the 30.00 USD of the payment not yet refunded.");
    const late = new ApiError(409, { code: "not_returnable", message: "the return window closed on 2026-01-31" });
    expect(humanError(late)).toBe("The return window closed on 2026-01-31.");
    const shipped = new ApiError(409, {
      code: "order_not_shippable",
      message: "an order that is out_for_delivery cannot be shipped",
    });
    expect(humanError(shipped)).not.toContain("_");
  });

  it("explains a refused code by its reason", () => {
    const refused = new ApiError(422, {
      code: "discount_code_rejected",
      message: "no",
      reason: "minimum_not_met",
    });
    expect(humanError(refused)).toBe("Your cart does not reach that code's minimum yet.");
    expect(codeReason("exhausted")).toBe("That code has been used up.");
  });

  it("names the field a 422 is about", () => {
    const invalid = new ApiError(422, {
      code: "validation_failed",
      message: "invalid",
      fields: { "shipping_address.postal_code": "not a postal code" },
    });
    expect(humanError(invalid)).toBe("Please correct the highlighted fields.");
    expect(fieldError(invalid, "shipping_address.postal_code")).toBe("Not a postal code.");
    expect(fieldError(invalid, "email")).toBeUndefined();
  });

  it("never shows an outage's internals", () => {
    const text = humanError(new ApiError(500, { code: "internal", message: "db down" }));
    expect(text).not.toContain("db");
  });
});
