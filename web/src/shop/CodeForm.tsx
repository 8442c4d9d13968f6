import { useState, type FormEvent } from "react";
import type { Cart } from "../api/client";
import { codeReason, humanError } from "../lib/errors";
import { useCartActions } from "./cart";

/** Applying and removing discount codes; their effect shows at once. */
export function CodeForm({ cart }: { cart: Cart }) {
  const [code, setCode] = useState("");
  const { applyCode, removeCode } = useCartActions();
  const apply = (event: FormEvent) => {
    event.preventDefault();
    if (!code.trim()) return;
    applyCode.mutate(code.trim(), { onSuccess: () => setCode("") });
  };
  return (
    <div className="codes">
      <form onSubmit={apply} className="inline">
        <label htmlFor="discount-code">Discount code</label>
        <input
          id="discount-code"
          value={code}
          autoCapitalize="characters"
          onChange={(e) => {
            setCode(e.target.value);
            applyCode.reset();
          }}
          aria-invalid={applyCode.isError}
          aria-describedby={applyCode.isError ? "discount-code-error" : undefined}
        />
        <button type="submit" disabled={applyCode.isPending}>
          Apply
        </button>
      </form>
      {applyCode.error && (
        <p id="discount-code-error" className="field-error" role="alert">
          {humanError(applyCode.error)}
        </p>
      )}
      {cart.discount_codes.length > 0 && (
        <ul className="applied" aria-label="Applied codes">
          {cart.discount_codes.map((c) => (
            <li key={c.code}>
              <strong>{c.code}</strong>{" "}
              {c.applied ? <span className="ok">applied</span> : <span className="muted">{codeReason(c.reason)}</span>}{" "}
              <button
                type="button"
                className="link"
                onClick={() => removeCode.mutate(c.code)}
                aria-label={`Remove code ${c.code}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
