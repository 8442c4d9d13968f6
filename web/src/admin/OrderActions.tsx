// What staff do with an order after the sale: notes, shipping by hand,
// refunds and emails sent again. Each success reloads the order.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, ok, type Order, type Schemas } from "../api/client";
import { fieldError, humanError } from "../lib/errors";
import { formatMoney, fractionDigits, parseAmount } from "../lib/money";
import { STATUS_NAMES } from "../shop/OrderPage";
import { Alert } from "../ui/Layout";
import { TextField } from "../ui/TextField";

type Status = Schemas["OrderStatus"];

/** Reloads the order and the lists it is in. */
function useReload(id: string) {
  const queries = useQueryClient();
  return () => {
    void queries.invalidateQueries({ queryKey: ["admin", "order", id] });
    void queries.invalidateQueries({ queryKey: ["admin", "orders"] });
  };
}

/** A note on the timeline that only staff see. */
export function NoteForm({ order }: { order: Order }) {
  const reload = useReload(order.id);
  const [note, setNote] = useState("");
  const add = useMutation({
    mutationFn: () =>
      ok(api.POST("/api/v1/admin/orders/{id}/notes", { params: { path: { id: order.id } }, body: { note: note.trim() } })),
    onSuccess: () => {
      setNote("");
      reload();
    },
  });
  const invalid = fieldError(add.error, "note");
  return (
    <form
      className="editor"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate();
      }}
    >
      <h2>Add a note</h2>
      <div className="field">
        <label htmlFor="order-note">Note</label>
        <textarea
          id="order-note"
          rows={3}
          required
          value={note}
          onChange={(e) => setNote(e.target.value)}
          aria-invalid={invalid ? true : undefined}
          aria-describedby="order-note-note"
        />
        <p id="order-note-note" className={invalid ? "field-error" : "muted small"}>
          {invalid ?? "Only staff see it, on the timeline."}
        </p>
      </div>
      {add.error ? <Alert>{humanError(add.error)}</Alert> : null}
      <button type="submit" className="primary" disabled={add.isPending}>
        Add note
      </button>
    </form>
  );
}

/** Marks a paid order shipped by hand, for a parcel sent without the warehouse. */
export function ShipForm({ order }: { order: Order }) {
  const reload = useReload(order.id);
  const [carrier, setCarrier] = useState("");
  const [tracking, setTracking] = useState("");
  const ship = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/admin/orders/{id}/ship", {
          params: { path: { id: order.id } },
          body: { carrier: carrier.trim(), tracking_number: tracking.trim() },
        }),
      ),
    onSuccess: reload,
  });
  return (
    <form
      className="editor"
      onSubmit={(e) => {
        e.preventDefault();
        ship.mutate();
      }}
    >
      <h2>Ship by hand</h2>
      <p className="muted small">The customer gets the shipping email with the tracking number.</p>
      <TextField
        id="ship-carrier"
        label="Carrier"
        value={carrier}
        onChange={setCarrier}
        required
        error={fieldError(ship.error, "carrier")}
      />
      <TextField
        id="ship-tracking"
        label="Tracking number"
        value={tracking}
        onChange={setTracking}
        required
        error={fieldError(ship.error, "tracking_number")}
      />
      {ship.error ? <Alert>{humanError(ship.error)}</Alert> : null}
      <button type="submit" className="primary" disabled={ship.isPending}>
        Mark shipped
      </button>
    </form>
  );
}

/** What the order's refunds gave back, each refund, and a form for another while something was paid. */
export function Refunds({ order }: { order: Order }) {
  const refunds = order.refunds ?? [];
  const paid = order.payment_status === "paid" || order.payment_status === "partially_refunded";
  return (
    <section aria-labelledby="refunds">
      <h2 id="refunds">Refunds</h2>
      <p aria-live="polite">
        Refunded <strong data-testid="admin-refunded">{formatMoney(order.refunded)}</strong> of {formatMoney(order.total)}.
      </p>
      {refunds.length > 0 && (
        <table className="table">
          <caption className="visually-hidden">Refunds of order {order.order_number}</caption>
          <thead>
            <tr>
              <th scope="col">Asked</th>
              <th scope="col">Amount</th>
              <th scope="col">Status</th>
              <th scope="col">Reason</th>
              <th scope="col">By</th>
            </tr>
          </thead>
          <tbody>
            {refunds.map((r) => (
              <tr key={r.id}>
                <td>{new Date(r.created_at).toLocaleString()}</td>
                <td>
                  {formatMoney(r.amount)}
                  {r.shipping.amount > 0 && <span className="muted small"> (shipping {formatMoney(r.shipping)})</span>}
                </td>
                <td>{r.status === "succeeded" ? "given back" : "waiting for the payment provider"}</td>
                <td>{r.reason ?? ""}</td>
                <td>{r.actor ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {paid ? (
        <RefundForm order={order} />
      ) : (
        <p className="muted">Nothing to refund: the payment is {order.payment_status}.</p>
      )}
    </section>
  );
}

/** Gives back an amount of the payment, in the order's currency. */
function RefundForm({ order }: { order: Order }) {
  const reload = useReload(order.id);
  const currency = order.total.currency;
  const digits = fractionDigits(currency);
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState("");
  const refund = useMutation({
    mutationFn: (body: Schemas["RefundRequest"]) =>
      ok(api.POST("/api/v1/admin/orders/{id}/refunds", { params: { path: { id: order.id } }, body })),
    onSuccess: () => {
      setAmount("");
      setReason("");
      reload();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const minor = parseAmount(amount, digits);
    if (!minor) {
      setProblem(`Enter the amount to give back, like ${digits > 0 ? "10 or 4.99" : "500"}.`);
      return;
    }
    setProblem("");
    refund.mutate({ amount: minor, reason: reason.trim() });
  };
  return (
    <form onSubmit={submit} className="editor">
      <h3>Give a refund</h3>
      <TextField
        id="refund-amount"
        label="Amount to refund"
        value={amount}
        onChange={setAmount}
        inputMode="decimal"
        required
        help={`In ${currency.toUpperCase()}.`}
        error={problem || fieldError(refund.error, "amount")}
      />
      <TextField
        id="refund-reason"
        label="Reason for the refund"
        value={reason}
        onChange={setReason}
        required
        help="Only staff see it; the customer sees the amount."
        error={fieldError(refund.error, "reason")}
      />
      {refund.error ? <Alert>{humanError(refund.error)}</Alert> : null}
      <button type="submit" className="primary" disabled={refund.isPending}>
        Refund
      </button>
    </form>
  );
}

/** Sends the customer's email for a status the order reached again. */
export function ResendEmail({ order }: { order: Order }) {
  const reload = useReload(order.id);
  // A cancelled order's only email is its cancellation; an order awaiting payment has had none.
  const reached =
    order.status === "cancelled"
      ? (["cancelled"] as Status[])
      : [...new Set(order.timeline.filter((t) => !t.internal).map((t) => t.status))].filter((s) => s !== "pending_payment");
  const [chosen, setChosen] = useState<Status | null>(null);
  const status = chosen ?? reached[reached.length - 1];
  const resend = useMutation({
    mutationFn: (status: Status) =>
      ok(api.POST("/api/v1/admin/orders/{id}/resend-email", { params: { path: { id: order.id } }, body: { status } })),
    onSuccess: reload,
  });
  if (!status) return null;
  return (
    <form
      className="editor"
      onSubmit={(e) => {
        e.preventDefault();
        resend.mutate(status);
      }}
    >
      <h2>Send an email again</h2>
      <div className="field">
        <label htmlFor="resend-status">The email for</label>
        <select id="resend-status" value={status} onChange={(e) => setChosen(e.target.value as Status)}>
          {reached.map((s) => (
            <option key={s} value={s}>
              {STATUS_NAMES[s]}
            </option>
          ))}
        </select>
      </div>
      {resend.isSuccess && (
        <p role="status" className="notice">
          The email is on its way again.
        </p>
      )}
      {resend.error ? <Alert>{humanError(resend.error)}</Alert> : null}
      <button type="submit" disabled={resend.isPending}>
        Resend email
      </button>
    </form>
  );
}
