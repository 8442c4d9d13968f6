import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router";
import { api, ok, type Schemas } from "../api/client";
import { humanError } from "../lib/errors";
import { formatMoney } from "../lib/money";
import { STATUS_NAMES, Timeline } from "../shop/OrderPage";
import { Totals } from "../shop/Totals";
import { Alert, Loading, Pager } from "../ui/Layout";
import { HistoryLink } from "./Audit";
import { NoteForm, Refunds, ResendEmail, ShipForm } from "./OrderActions";

type Status = Schemas["OrderStatus"];
const STATUSES = Object.keys(STATUS_NAMES) as Status[];

type PaymentStatus = Schemas["PaymentStatus"];
const PAYMENTS: PaymentStatus[] = ["pending", "paid", "failed", "partially_refunded", "refunded"];

/** Midnight at the start of `day` (YYYY-MM-DD, the admin's time zone), or a day later. */
function startOf(day: string, plusDays = 0): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(y, m - 1, d + plusDays).toISOString();
}

export function Orders() {
  const [params, setParams] = useSearchParams();
  const status = (params.get("status") as Status | null) ?? undefined;
  const payment = (params.get("payment_status") as PaymentStatus | null) ?? undefined;
  const fromDay = params.get("from") ?? "";
  const toDay = params.get("to") ?? "";
  const page = Number(params.get("page") ?? "1") || 1;
  const query = {
    status,
    payment_status: payment,
    from: startOf(fromDay),
    // Through the whole of the last day.
    to: startOf(toDay, 1),
    page,
    page_size: 50,
  };
  const orders = useQuery({
    queryKey: ["admin", "orders", query],
    queryFn: () => ok(api.GET("/api/v1/admin/orders", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const pages = Math.max(1, Math.ceil((orders.data?.total ?? 0) / 50));
  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    if (!("page" in changes)) next.delete("page");
    setParams(next);
  };
  return (
    <div className="page">
      <h1>Orders</h1>
      <div className="filters-row">
        <div className="field">
          <label htmlFor="filter-status">Status</label>
          <select id="filter-status" value={status ?? ""} onChange={(e) => set({ status: e.target.value })}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_NAMES[s]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-payment">Payment</label>
          <select id="filter-payment" value={payment ?? ""} onChange={(e) => set({ payment_status: e.target.value })}>
            <option value="">Any</option>
            {PAYMENTS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-from">From</label>
          <input id="filter-from" type="date" value={fromDay} onChange={(e) => set({ from: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="filter-to">To</label>
          <input id="filter-to" type="date" value={toDay} onChange={(e) => set({ to: e.target.value })} />
        </div>
      </div>
      {orders.isPending && <Loading what="Loading orders" />}
      {orders.error && <Alert>{humanError(orders.error)}</Alert>}
      {orders.data && (
        <p role="status" className="muted">
          {orders.data.total} {orders.data.total === 1 ? "order" : "orders"}
        </p>
      )}
      {orders.data && (
        <table className="table">
          <caption className="visually-hidden">Orders</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Placed</th>
              <th scope="col">Status</th>
              <th scope="col">Payment</th>
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {orders.data.items.map((o) => (
              <tr key={o.id}>
                <td>
                  <Link to={`/admin/orders/${o.id}`}>{o.order_number}</Link>
                </td>
                <td>{new Date(o.created_at).toLocaleString()}</td>
                <td>{STATUS_NAMES[o.status]}</td>
                <td>{o.payment_status.replace(/_/g, " ")}</td>
                <td>{formatMoney(o.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={page} pages={pages} onPage={(next) => set({ page: String(next) })} />
    </div>
  );
}

export function OrderDetail() {
  const { id = "" } = useParams();
  const queries = useQueryClient();
  const order = useQuery({
    queryKey: ["admin", "order", id],
    queryFn: () => ok(api.GET("/api/v1/admin/orders/{id}", { params: { path: { id } } })),
    refetchInterval: (q) => (q.state.data && ["delivered", "cancelled"].includes(q.state.data.status) ? false : 5000),
  });
  const cancel = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/admin/orders/{id}/cancel", { params: { path: { id } } })),
    onSuccess: (o) => {
      queries.setQueryData(["admin", "order", id], o);
      void queries.invalidateQueries({ queryKey: ["admin", "orders"] });
    },
  });
  if (order.isPending) return <Loading what="Loading the order" />;
  if (order.error) return <Alert>{humanError(order.error)}</Alert>;
  const o = order.data;
  const cancellable = ["pending_payment", "confirmed", "processing"].includes(o.status);
  // Paid for and not yet shipped.
  const shippable = o.status === "confirmed" || o.status === "processing";
  const refundedUnits = new Map<string, number>();
  for (const line of (o.refunds ?? []).flatMap((r) => r.items)) {
    refundedUnits.set(line.order_item_id, (refundedUnits.get(line.order_item_id) ?? 0) + line.quantity);
  }
  return (
    <div className="page">
      <p>
        <Link to="/admin/orders">All orders</Link> · <HistoryLink type="order" id={o.id} />
      </p>
      <h1>Order {o.order_number}</h1>
      <p>
        Status: <strong data-testid="admin-order-status">{STATUS_NAMES[o.status]}</strong> · Payment:{" "}
        <strong data-testid="admin-payment-status">{o.payment_status.replace(/_/g, " ")}</strong>
        {o.tracking_number && (
          <>
            {" "}
            · Tracking: <span data-testid="admin-tracking">{[o.carrier, o.tracking_number].filter(Boolean).join(" ")}</span>
          </>
        )}
      </p>
      <div className="two-columns">
        <section aria-labelledby="items">
          <h2 id="items">Items</h2>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col">SKU</th>
                <th scope="col">Quantity</th>
                <th scope="col">Units refunded</th>
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              {o.items.map((item) => (
                <tr key={item.id}>
                  <td>
                    {item.name}{" "}
                    <span className="muted small">
                      {Object.entries(item.options)
                        .map(([k, v]) => `${k}: ${v}`)
                        .join(", ")}
                    </span>
                  </td>
                  <td>{item.sku}</td>
                  <td>{item.quantity}</td>
                  <td>{refundedUnits.get(item.id) ?? 0}</td>
                  <td>{formatMoney(item.line_total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Refunds order={o} />
          <Timeline order={o} />
          <NoteForm order={o} />
        </section>
        <aside className="summary" aria-label="Order summary">
          <Totals of={o} />
          <h2>Ship to</h2>
          <address>
            {o.shipping_address.name}
            <br />
            {o.shipping_address.street1}, {o.shipping_address.city} {o.shipping_address.postal_code},{" "}
            {o.shipping_address.country}
            <br />
            {o.shipping_address.phone}
          </address>
          {shippable && <ShipForm order={o} />}
          {cancellable && (
            <button
              type="button"
              onClick={() => {
                if (window.confirm(`Cancel order ${o.order_number}? Its payment is refunded and its stock returned.`)) {
                  cancel.mutate();
                }
              }}
              disabled={cancel.isPending}
            >
              {cancel.isPending ? "Cancelling…" : "Cancel and refund"}
            </button>
          )}
          {cancel.error ? <Alert>{humanError(cancel.error)}</Alert> : null}
          <ResendEmail order={o} />
        </aside>
      </div>
    </div>
  );
}
