import type { Order, Schemas } from "../api/client";

type ReturnView = Schemas["ReturnView"];

/** A return's status as people read it. */
export const RETURN_STATUS_NAMES: Record<Schemas["ReturnStatus"], string> = {
  requested: "Requested",
  approved: "Approved",
  rejected: "Rejected",
  received: "Received",
  refunded: "Refunded",
};

/** Units of each line (by `items[].id`) not yet in a return; a rejected return frees its units. */
export function returnableUnits(order: Pick<Order, "items">, returns: ReturnView[]): Map<string, number> {
  const left = new Map(order.items.map((item) => [item.id, item.quantity]));
  for (const r of returns) {
    if (r.status === "rejected") continue;
    for (const line of r.items) {
      left.set(line.order_item_id, Math.max(0, (left.get(line.order_item_id) ?? 0) - line.quantity));
    }
  }
  return left;
}
