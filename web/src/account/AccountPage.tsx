import { useQuery } from "@tanstack/react-query";
import { Link, Navigate, useNavigate } from "react-router";
import { api, ok } from "../api/client";
import { humanError } from "../lib/errors";
import { formatMoney } from "../lib/money";
import { useSession } from "../session";
import { STATUS_NAMES } from "../shop/OrderPage";
import { Alert, Loading } from "../ui/Layout";
import { Addresses, Profile, Security } from "./Settings";

export function AccountPage() {
  const { user, ready, signOut } = useSession();
  const navigate = useNavigate();
  const orders = useQuery({
    queryKey: ["orders"],
    enabled: user !== null,
    queryFn: () => ok(api.GET("/api/v1/orders", { params: { query: { page_size: 50 } } })),
  });
  if (!ready) return <Loading what="Loading your account" />;
  if (!user) return <Navigate to="/account/sign-in?next=/account" replace />;
  return (
    <div className="page">
      <h1>Your account</h1>
      <p>
        Signed in as <strong>{user.name}</strong> ({user.email}).{" "}
        {user.role === "admin" && <Link to="/admin">Open the admin</Link>}
      </p>
      <button
        type="button"
        onClick={async () => {
          await signOut();
          navigate("/");
        }}
      >
        Sign out
      </button>
      <section aria-labelledby="orders">
        <h2 id="orders">Orders</h2>
        {orders.isPending && <Loading what="Loading your orders" />}
        {orders.error && <Alert>{humanError(orders.error)}</Alert>}
        {orders.data && orders.data.items.length === 0 && <p>No orders yet.</p>}
        {orders.data && orders.data.items.length > 0 && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Placed</th>
                <th scope="col">Status</th>
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              {orders.data.items.map((o) => (
                <tr key={o.id}>
                  <td>
                    <Link to={`/orders/${o.id}`}>{o.order_number}</Link>
                  </td>
                  <td>{new Date(o.created_at).toLocaleDateString()}</td>
                  <td>{STATUS_NAMES[o.status]}</td>
                  <td>{formatMoney(o.total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <Profile user={user} />
      <Addresses />
      <Security />
    </div>
  );
}
