import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Link, useLocation, useParams, useSearchParams } from "react-router";
import { api, ok, type Order, type Schemas } from "../api/client";
import { humanError } from "../lib/errors";
import { formatMoney } from "../lib/money";
import { Alert, Loading } from "../ui/Layout";
import { CardPayment } from "./CardPayment";
import { OrderReturns } from "./OrderReturns";
import { Totals } from "./Totals";

type Status = Schemas["OrderStatus"];

const STEPS: Status[] = ["pending_payment", "confirmed", "processing", "shipped", "out_for_delivery", "delivered"];
export const STATUS_NAMES: Record<Status, string> = {
  pending_payment: "Awaiting payment",
  confirmed: "Confirmed",
  processing: "Being prepared",
  shipped: "Shipped",
  out_for_delivery: "Out for delivery",
  delivered: "Delivered",
  cancelled: "Cancelled",
};
const FINAL: Status[] = ["delivered", "cancelled"];
const CANCELLABLE: Status[] = ["pending_payment", "confirmed", "processing"];

/** Refreshed every 2 s until the order is delivered or cancelled. */
const live = (order: Order | undefined) => (order && FINAL.includes(order.status) ? false : 2000);

/** A signed-in customer's order. */
export function OrderPage() {
  const { id = "" } = useParams();
  const queries = useQueryClient();
  const order = useQuery({
    queryKey: ["order", id],
    queryFn: () => ok(api.GET("/api/v1/orders/{id}", { params: { path: { id } } })),
    refetchInterval: (query) => live(query.state.data),
  });
  const cancel = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/orders/{id}/cancel", { params: { path: { id } } })),
    onSuccess: (o) => queries.setQueryData(["order", id], o),
  });
  if (order.isPending) return <Loading what="Loading your order" />;
  if (order.error) return <Alert>{humanError(order.error)}</Alert>;
  return (
    <OrderDetail order={order.data} cancel={cancel}>
      <OrderReturns order={order.data} />
    </OrderDetail>
  );
}

/** The order a guest's emailed link (or the confirmation page) opens. */
export function GuestOrderPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const queries = useQueryClient();
  const order = useQuery({
    queryKey: ["order", "token", token],
    enabled: token !== "",
    queryFn: () => ok(api.GET("/api/v1/orders/lookup", { params: { query: { token } } })),
    refetchInterval: (query) => live(query.state.data),
  });
  const cancel = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/orders/lookup/cancel", { params: { query: { token } } })),
    onSuccess: (o) => queries.setQueryData(["order", "token", token], o),
  });
  if (!token) return <Alert>This link is incomplete. Open the link from your order email again.</Alert>;
  if (order.isPending) return <Loading what="Loading your order" />;
  if (order.error) return <Alert>{humanError(order.error)}</Alert>;
  return (
    <OrderDetail order={order.data} cancel={cancel} token={token}>
      <OrderReturns order={order.data} token={token} />
    </OrderDetail>
  );
}

/** An order's timeline, oldest first, announced as it grows; staff also see who did what, and their notes. */
export function Timeline({ order }: { order: Order }) {
  return (
    <>
      <h2 id="timeline">Timeline</h2>
      <ol className="timeline" aria-labelledby="timeline" aria-live="polite">
        {order.timeline.map((entry, i) => (
          <li key={`${entry.status}-${i}`}>
            <strong>{entry.internal ? "Staff note" : STATUS_NAMES[entry.status]}</strong>{" "}
            <time dateTime={entry.at}>{new Date(entry.at).toLocaleString()}</time>
            {entry.note && <span className="muted"> — {entry.note}</span>}
            {entry.actor && <span className="muted small"> · {entry.actor}</span>}
          </li>
        ))}
      </ol>
    </>
  );
}

type Cancel = { mutate(): void; isPending: boolean; error: unknown };

/** An order as its customer sees it; `children` (its returns) follow the timeline. */
function OrderDetail(props: { order: Order; cancel: Cancel; token?: string; children?: ReactNode }) {
  const { order, cancel, token, children } = props;
  const location = useLocation();
  const placed = (location.state as { placed?: boolean } | null)?.placed;
  const reached = new Set(order.timeline.map((t) => t.status));
  const awaitingCard = order.status === "pending_payment" && order.payment_method === "stripe";
  const confirm = () => {
    if (window.confirm("Cancel this order? Any payment is refunded.")) cancel.mutate();
  };
  return (
    <div className="page order">
      {placed && (
        <p className="notice" role="status">
          {awaitingCard
            ? "Your order is placed. Pay below to confirm it."
            : "Thank you! Your order is placed. We have emailed a confirmation."}
        </p>
      )}
      {awaitingCard && <CardPayment order={order} token={token} />}
      <h1>Order {order.order_number}</h1>
      <p>
        Status: <strong data-testid="order-status">{STATUS_NAMES[order.status]}</strong>
        {order.estimated_delivery_date && order.status !== "cancelled" && order.status !== "delivered" && (
          <> · expected by {new Date(`${order.estimated_delivery_date}T12:00:00`).toLocaleDateString()}</>
        )}
        {order.tracking_number && <> · tracking {order.tracking_number}</>}
      </p>
      {order.status !== "cancelled" && (
        <ol className="progress" aria-label="Progress">
          {STEPS.filter((s) => s !== "pending_payment" || reached.has(s)).map((step) => (
            <li key={step} className={reached.has(step) ? "done" : ""} aria-current={order.status === step ? "step" : undefined}>
              {STATUS_NAMES[step]}
            </li>
          ))}
        </ol>
      )}
      <div className="two-columns">
        <section aria-labelledby="items">
          <h2 id="items">Items</h2>
          <ul className="lines">
            {order.items.map((item) => (
              <li key={item.variant_id} className="line">
                {item.image ? <img src={item.image} alt="" width={72} height={72} /> : <span className="no-image small" />}
                <div className="line-info">
                  <span>{item.name}</span>
                  <span className="muted small">
                    {Object.entries(item.options)
                      .map(([k, v]) => `${k}: ${v}`)
                      .join(", ")}
                  </span>
                </div>
                <span className="muted quantity">Quantity {item.quantity}</span>
                <span className="line-total">{formatMoney(item.line_total)}</span>
              </li>
            ))}
          </ul>
          <Timeline order={order} />
          {children}
        </section>
        <aside className="summary" aria-label="Order summary">
          <h2>Summary</h2>
          <Totals of={order} />
          <h3>Shipping to</h3>
          <address>
            {order.shipping_address.name}
            <br />
            {order.shipping_address.street1}
            {order.shipping_address.street2 && <>, {order.shipping_address.street2}</>}
            <br />
            {order.shipping_address.city} {order.shipping_address.state} {order.shipping_address.postal_code}
            <br />
            {order.shipping_address.country}
          </address>
          {order.shipping_method && <p>Method: {order.shipping_method.name}</p>}
          <p>Payment: {order.payment_status.replace(/_/g, " ")}</p>
          {order.refunded.amount > 0 && <p>Refunded: {formatMoney(order.refunded)}</p>}
          {CANCELLABLE.includes(order.status) && (
            <button type="button" onClick={confirm} disabled={cancel.isPending}>
              {cancel.isPending ? "Cancelling…" : "Cancel order"}
            </button>
          )}
          {cancel.error ? <Alert>{humanError(cancel.error)}</Alert> : null}
          <p>
            <Link to="/">Continue shopping</Link>
          </p>
        </aside>
      </div>
    </div>
  );
}
