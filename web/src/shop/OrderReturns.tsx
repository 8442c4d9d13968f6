// A delivered order's returns: what the customer asked to send back and
// where each return is, and a form to ask for more.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, ok, type Order, type Schemas } from "../api/client";
import { fieldError, humanError } from "../lib/errors";
import { Alert, Loading } from "../ui/Layout";
import { TextField } from "../ui/TextField";
import { RETURN_STATUS_NAMES, returnableUnits } from "./returns";

type ReturnView = Schemas["ReturnView"];

/** What happens next, by return status. */
const NEXT: Record<Schemas["ReturnStatus"], string> = {
  requested: "The shop will email you its answer.",
  approved: "Send the items back; they are refunded once they arrive.",
  rejected: "The shop did not take this return.",
  received: "The items arrived; the refund follows.",
  refunded: "The items are refunded.",
};

/** The returns of `order` (a guest's with its `token`), once it is delivered. */
export function OrderReturns({ order, token }: { order: Order; token?: string }) {
  const delivered = order.status === "delivered";
  const returns = useQuery({
    queryKey: ["order", order.id, "returns"],
    enabled: delivered,
    queryFn: () => ok(api.GET("/api/v1/orders/{id}/returns", { params: { path: { id: order.id }, query: { token } } })),
  });
  if (!delivered) return null;
  return (
    <section aria-labelledby="returns">
      <h2 id="returns">Returns</h2>
      {returns.isPending && <Loading what="Loading your returns" />}
      {returns.error && <Alert>{humanError(returns.error)}</Alert>}
      {returns.data && returns.data.items.length > 0 && (
        <ul className="plain cards">
          {returns.data.items.map((r) => (
            <li key={r.id} className="address-card">
              <strong>{RETURN_STATUS_NAMES[r.status]}</strong>{" "}
              <span className="muted small">asked on {new Date(r.created_at).toLocaleDateString()}</span>
              <ul>
                {r.items.map((line) => (
                  <li key={line.order_item_id}>
                    {line.quantity} × {line.name} <span className="muted small">— {line.reason}</span>
                  </li>
                ))}
              </ul>
              <p className="small">
                {NEXT[r.status]}
                {r.return_shipping && r.status === "approved" && " The shop pays the return shipping."}
              </p>
              {r.note && <p className="small">{r.note}</p>}
            </li>
          ))}
        </ul>
      )}
      {returns.data && <ReturnForm order={order} token={token} returns={returns.data.items} />}
    </section>
  );
}

function ReturnForm({ order, token, returns }: { order: Order; token?: string; returns: ReturnView[] }) {
  const queries = useQueryClient();
  const left = returnableUnits(order, returns);
  const lines = order.items.filter((item) => (left.get(item.id) ?? 0) > 0);
  const [asked, setAsked] = useState<Record<string, { quantity: number; reason: string }>>({});
  const [problem, setProblem] = useState("");
  const request = useMutation({
    mutationFn: (body: Schemas["ReturnRequest"]) =>
      ok(api.POST("/api/v1/orders/{id}/returns", { params: { path: { id: order.id }, query: { token } }, body })),
    onSuccess: () => {
      setAsked({});
      // The returns and the order's timeline.
      void queries.invalidateQueries({ queryKey: ["order"] });
    },
  });
  const change = (id: string, part: Partial<{ quantity: number; reason: string }>) =>
    setAsked((now) => ({ ...now, [id]: { quantity: 0, reason: "", ...now[id], ...part } }));
  // As sent: the lines with units, in order (a 422 names them by this index).
  const chosen = lines.filter((item) => (asked[item.id]?.quantity ?? 0) > 0);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (chosen.length === 0) {
      setProblem("Choose how many of an item to return.");
      return;
    }
    if (chosen.some((item) => !asked[item.id]?.reason.trim())) {
      setProblem("Say why you are returning each item you chose.");
      return;
    }
    setProblem("");
    request.mutate({
      items: chosen.map((item) => ({
        order_item_id: item.id,
        quantity: asked[item.id]?.quantity ?? 0,
        reason: asked[item.id]?.reason.trim() ?? "",
      })),
    });
  };
  return (
    <>
      {request.isSuccess && (
        <p className="notice" role="status">
          Your return is requested. The shop will email you its answer.
        </p>
      )}
      {lines.length === 0 ? (
        <p className="muted">Every item of this order is in a return.</p>
      ) : (
        <form onSubmit={submit} className="editor">
          <h3>Return items</h3>
          {lines.map((item) => (
            <fieldset key={item.id}>
              <legend>
                {item.name}{" "}
                <span className="muted small">
                  {Object.entries(item.options)
                    .map(([k, v]) => `${k}: ${v}`)
                    .join(", ")}
                </span>
              </legend>
              <div className="field">
                <label htmlFor={`return-${item.id}-quantity`}>Quantity to return</label>
                <select
                  id={`return-${item.id}-quantity`}
                  value={asked[item.id]?.quantity ?? 0}
                  onChange={(e) => change(item.id, { quantity: Number(e.target.value) })}
                >
                  {Array.from({ length: (left.get(item.id) ?? 0) + 1 }, (_, n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </div>
              <TextField
                id={`return-${item.id}-reason`}
                label="Reason"
                value={asked[item.id]?.reason ?? ""}
                onChange={(reason) => change(item.id, { reason })}
                error={fieldError(request.error, `items[${chosen.indexOf(item)}].reason`)}
              />
            </fieldset>
          ))}
          {problem && <Alert>{problem}</Alert>}
          {request.error ? <Alert>{humanError(request.error)}</Alert> : null}
          <button type="submit" className="primary" disabled={request.isPending}>
            Request return
          </button>
        </form>
      )}
    </>
  );
}
