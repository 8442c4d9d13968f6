import type { Product, Variant } from "../api/client";

/** What the shopper picked so far: option name to value. */
export type Picked = Record<string, string>;

/** The active variant matching every option in `picked`, if all are picked. */
export function variantFor(product: Product, picked: Picked): Variant | undefined {
  if (product.options.some((option) => !(option.name in picked))) return undefined;
  return product.variants.find(
    (v) => v.is_active && product.options.every((o) => v.options[o.name] === picked[o.name]),
  );
}

/** How a value of an option would fare with the rest of `picked`. */
export type Choice = "available" | "sold_out" | "unavailable";

/**
 * Whether choosing `value` for `option` (keeping the other picks) leads to
 * a variant in stock, one that is sold out, or none at all.
 */
export function choiceFor(product: Product, picked: Picked, option: string, value: string): Choice {
  const wanted = { ...picked, [option]: value };
  const matching = product.variants.filter(
    (v) =>
      v.is_active &&
      Object.entries(wanted).every(([name, chosen]) => v.options[name] === chosen),
  );
  if (matching.length === 0) return "unavailable";
  return matching.some((v) => v.stock_quantity > 0) ? "available" : "sold_out";
}

/** The first pick to show: the first in-stock variant's options, else the first's. */
export function initialPick(product: Product): Picked {
  const active = product.variants.filter((v) => v.is_active);
  const first = active.find((v) => v.stock_quantity > 0) ?? active[0];
  return first ? { ...first.options } : {};
}
