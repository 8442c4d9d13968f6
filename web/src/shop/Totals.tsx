import type { Cart, Order } from "../api/client";
import { formatMoney } from "../lib/money";

/** The price breakdown of a cart or an order. */
export function Totals({ of, estimate = false }: { of: Cart | Order; estimate?: boolean }) {
  const discounts = of.adjustments.filter((a) => a.amount.amount > 0 && a.kind !== "free_shipping_threshold");
  const notes = of.adjustments.filter((a) => a.kind === "no_tax_rate");
  return (
    <dl className="totals">
      <div>
        <dt>Subtotal</dt>
        <dd>{formatMoney(of.subtotal)}</dd>
      </div>
      {discounts.map((a, i) => (
        <div key={`${a.kind}-${a.code ?? ""}-${i}`}>
          <dt>{a.description}</dt>
          <dd>−{formatMoney(a.amount)}</dd>
        </div>
      ))}
      <div>
        <dt>Shipping</dt>
        <dd>{estimate ? "Calculated at checkout" : of.shipping.amount === 0 ? "Free" : formatMoney(of.shipping)}</dd>
      </div>
      <div>
        <dt>{of.prices_include_tax ? "Tax (included)" : "Tax"}</dt>
        <dd>{estimate ? "Calculated at checkout" : formatMoney(of.tax)}</dd>
      </div>
      <div className="grand">
        <dt>Total</dt>
        <dd>{formatMoney(of.total)}</dd>
      </div>
      {notes.map((n) => (
        <p key={n.kind} className="muted small">
          {n.description}
        </p>
      ))}
    </dl>
  );
}
