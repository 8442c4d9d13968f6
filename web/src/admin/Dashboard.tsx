import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, ok } from "../api/client";
import { humanError } from "../lib/errors";
import { formatMoney } from "../lib/money";
import { Alert, Loading } from "../ui/Layout";

export function Dashboard() {
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const from = midnight.toISOString();
  const today = useQuery({
    queryKey: ["admin", "orders", "today", from],
    queryFn: () => ok(api.GET("/api/v1/admin/orders", { params: { query: { from, page_size: 100 } } })),
    refetchInterval: 30_000,
  });
  const dead = useQuery({
    queryKey: ["admin", "dead-letters", 1],
    queryFn: () => ok(api.GET("/api/v1/admin/dead-letters", { params: { query: { page_size: 1 } } })),
  });
  const low = useQuery({
    queryKey: ["admin", "low-stock"],
    queryFn: () => ok(api.GET("/api/v1/admin/inventory/low-stock", { params: { query: { page_size: 10 } } })),
  });
  const orders = today.data?.items ?? [];
  const counted = orders.filter((o) => o.status !== "cancelled");
  const revenue = counted.reduce((sum, o) => sum + o.total.amount, 0);
  const currency = orders[0]?.total.currency ?? "usd";
  return (
    <div className="page">
      <h1>Dashboard</h1>
      {today.error && <Alert>{humanError(today.error)}</Alert>}
      <ul className="stats">
        <li>
          <span className="muted">Orders today</span>
          <strong data-testid="orders-today">{today.isPending ? "…" : (today.data?.total ?? 0)}</strong>
        </li>
        <li>
          <span className="muted">Revenue today{(today.data?.total ?? 0) > orders.length ? " (latest 100)" : ""}</span>
          <strong>{today.isPending ? "…" : formatMoney({ amount: revenue, currency })}</strong>
        </li>
        <li>
          <span className="muted">Variants low on stock</span>
          <strong data-testid="low-stock">{low.isPending ? "…" : (low.data?.total ?? 0)}</strong>
        </li>
        <li>
          <span className="muted">Dead letters</span>
          <strong>
            <Link to="/admin/dead-letters">{dead.isPending ? "…" : (dead.data?.total ?? 0)}</Link>
          </strong>
        </li>
      </ul>
      <h2>Latest orders</h2>
      {today.isPending && <Loading what="Loading orders" />}
      {orders.length === 0 && !today.isPending && <p>No orders yet today.</p>}
      <ul className="plain">
        {orders.slice(0, 10).map((o) => (
          <li key={o.id}>
            <Link to={`/admin/orders/${o.id}`}>{o.order_number}</Link> · {o.status.replace(/_/g, " ")} ·{" "}
            {formatMoney(o.total)}
          </li>
        ))}
      </ul>
      {low.error && <Alert>{humanError(low.error)}</Alert>}
      {(low.data?.items.length ?? 0) > 0 && (
        <>
          <h2>Low on stock</h2>
          <ul className="plain" aria-label="Low on stock">
            {low.data?.items.map((v) => (
              <li key={v.variant_id}>
                <Link to={`/admin/products/${v.product_id}`}>{v.product_name}</Link>
                {Object.keys(v.options).length > 0 && ` (${Object.values(v.options).join(" / ")})`} · {v.sku} ·{" "}
                {v.stock_quantity === 0 ? <strong>sold out</strong> : `${v.stock_quantity} left`}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
