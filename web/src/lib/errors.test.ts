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
