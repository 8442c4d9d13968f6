import { Link } from "react-router";
import type { Cart } from "../api/client";
import { humanError } from "../lib/errors";
import { formatMoney } from "../lib/money";
import { Alert, Loading } from "../ui/Layout";
import { useCart, useCartActions } from "./cart";
import { CodeForm } from "./CodeForm";
import { Totals } from "./Totals";

export function CartPage() {
  const cart = useCart();
  if (cart.isPending) return <Loading what="Loading your cart" />;
  if (cart.error) return <Alert>{humanError(cart.error)}</Alert>;
  const c = cart.data;
  return (
    <div className="page cart">
      <h1>Your cart</h1>
      {c.items.length === 0 ? (
        <p>
          Your cart is empty. <Link to="/">Continue shopping</Link>
        </p>
      ) : (
        <div className="two-columns">
          <Lines cart={c} />
          <aside className="summary" aria-label="Order summary">
            <h2>Summary</h2>
            <Totals of={c} estimate />
            <CodeForm cart={c} />
            <Link
              className="button primary"
              to="/checkout"
              aria-disabled={c.items.some((l) => l.availability !== "in_stock")}
            >
              Check out
            </Link>
          </aside>
        </div>
      )}
    </div>
  );
}

export function Lines({ cart, editable = true }: { cart: Cart; editable?: boolean }) {
  const { setQuantity, remove } = useCartActions();
  const error = setQuantity.error ?? remove.error;
  return (
    <section aria-label="Items">
      {error && <Alert>{humanError(error)}</Alert>}
      <ul className="lines">
        {cart.items.map((line) => {
          const options = Object.entries(line.options).map(([k, v]) => `${k}: ${v}`).join(", ");
          return (
            <li key={line.variant_id} className="line">
              {line.thumbnail ? <img src={line.thumbnail} alt="" width={72} height={72} /> : <span className="no-image small" />}
              <div className="line-info">
                <Link to={`/p/${line.product_id}`}>{line.name}</Link>
                {options && <span className="muted small">{options}</span>}
                {line.availability === "insufficient_stock" && (
                  <span className="warn">Only {line.stock_quantity} left — lower the quantity to continue.</span>
                )}
                {line.availability === "unavailable" && (
                  <span className="warn">No longer available — remove it to continue.</span>
                )}
              </div>
              {editable ? (
                <div className="line-qty">
                  <label>
                    <span className="visually-hidden">Quantity of {line.name}</span>
                    <select
                      value={line.quantity}
                      onChange={(e) =>
                        setQuantity.mutate({ variant_id: line.variant_id, quantity: Number(e.target.value) })
                      }
                    >
                      {Array.from({ length: Math.max(10, line.quantity) }, (_, i) => i + 1).map((n) => (
                        <option key={n} value={n}>
                          {n}
                        </option>
                      ))}
                    </select>
                  </label>
                  <button
                    type="button"
                    className="link"
                    onClick={() => remove.mutate(line.variant_id)}
                    aria-label={`Remove ${line.name}`}
                  >
                    Remove
                  </button>
                </div>
              ) : (
                <span className="muted quantity">Quantity {line.quantity}</span>
              )}
              <span className="line-total">{formatMoney(line.line_total)}</span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
