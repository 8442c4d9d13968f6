import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { returnableUnits } from "./returns";

const order = { items: [{ id: "mug", quantity: 3 }, { id: "pan", quantity: 1 }] } as Parameters<typeof returnableUnits>[0];

function asked(status: Schemas["ReturnStatus"], lines: [string, number][]): Schemas["ReturnView"] {
  return {
    id: `r-${status}`,
    order_id: "o",
    order_number: "GK-1",
    status,
    return_shipping: false,
    items: lines.map(([order_item_id, quantity]) => ({ order_item_id, name: order_item_id, quantity, reason: "too small" })),
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
  };
}

describe("returnableUnits", () => {
  it("leaves what no return holds", () => {
    const left = returnableUnits(order, [asked("approved", [["mug", 2]]), asked("refunded", [["pan", 1]])]);
    expect(left.get("mug")).toBe(1);
    expect(left.get("pan")).toBe(0);
  });

  it("frees the units of a rejected return", () => {
    expect(returnableUnits(order, [asked("rejected", [["mug", 3]])]).get("mug")).toBe(3);
  });
});
