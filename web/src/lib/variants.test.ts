import { describe, expect, it } from "vitest";
import type { Product, Variant } from "../api/client";
import { choiceFor, initialPick, variantFor } from "./variants";

const usd = (amount: number) => ({ amount, currency: "usd" as const });

function variant(id: string, options: Record<string, string>, stock: number, active = true): Variant {
  return {
    id,
    product_id: "p",
    sku: id,
    options,
    price: usd(1000),
    stock_quantity: stock,
    media_ids: [],
    is_active: active,
  } as Variant;
}

// A shirt in two colours and two sizes: red/L is sold out, blue/S does not exist.
const shirt = {
  options: [
    { id: "o1", name: "Colour", values: ["Red", "Blue"] },
    { id: "o2", name: "Size", values: ["S", "L"] },
  ],
  variants: [
    variant("red-s", { Colour: "Red", Size: "S" }, 0),
    variant("red-l", { Colour: "Red", Size: "L" }, 0),
    variant("blue-l", { Colour: "Blue", Size: "L" }, 4),
    variant("blue-s", { Colour: "Blue", Size: "S" }, 9, false),
  ],
} as unknown as Product;

describe("variant picker", () => {
  it("finds the variant once every option is picked", () => {
    expect(variantFor(shirt, { Colour: "Blue", Size: "L" })?.id).toBe("blue-l");
    expect(variantFor(shirt, { Colour: "Blue" })).toBeUndefined();
    // An inactive variant is never offered.
    expect(variantFor(shirt, { Colour: "Blue", Size: "S" })).toBeUndefined();
  });

  it("tells sold-out combinations from missing ones", () => {
    expect(choiceFor(shirt, { Colour: "Red" }, "Size", "L")).toBe("sold_out");
    expect(choiceFor(shirt, { Colour: "Blue" }, "Size", "L")).toBe("available");
    expect(choiceFor(shirt, { Colour: "Blue" }, "Size", "S")).toBe("unavailable");
    expect(choiceFor(shirt, { Size: "L" }, "Colour", "Blue")).toBe("available");
  });

  it("starts on a variant that can be bought", () => {
    expect(initialPick(shirt)).toEqual({ Colour: "Blue", Size: "L" });
  });
});
