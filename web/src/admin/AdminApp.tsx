import { Link, NavLink, Route, Routes } from "react-router";
import { useSession } from "../session";
import { Loading, NotFound } from "../ui/Layout";
import { Audit } from "./Audit";
import { Collections } from "./Collections";
import { Dashboard } from "./Dashboard";
import { DeadLetters } from "./DeadLetters";
import { Discounts } from "./Discounts";
import { OrderDetail, Orders } from "./Orders";
import { ProductEditor, Products } from "./Products";
import { Returns } from "./Returns";
import { Categories, ShippingZones, TaxRates, Users } from "./Settings";

const SECTIONS: [string, string][] = [
  ["", "Dashboard"],
  ["orders", "Orders"],
  ["returns", "Returns"],
  ["products", "Products"],
  ["discounts", "Discounts"],
  ["categories", "Categories"],
  ["collections", "Collections"],
  ["shipping", "Shipping"],
  ["tax", "Tax"],
  ["users", "Users"],
  ["dead-letters", "Dead letters"],
  ["audit", "Audit log"],
];

/** The admin: refused by the API to anyone but admins, and hidden from them here. */
export function AdminApp() {
  const { user, ready } = useSession();
  if (!ready) return <Loading what="Loading the admin" />;
  if (!user || user.role !== "admin") {
    return (
      <main id="main" className="page narrow">
        <h1>Admins only</h1>
        <p>
          {user ? "Your account cannot open the admin." : "Sign in with an admin account to open the admin."}
        </p>
        <p>
          {user ? <Link to="/">Back to the shop</Link> : <Link to="/account/sign-in?next=/admin">Sign in</Link>}
        </p>
      </main>
    );
  }
  return (
    <div className="admin">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="bar">
          <Link to="/admin" className="brand">
            GoKart admin
          </Link>
          <nav aria-label="Admin sections" className="admin-nav">
            {SECTIONS.map(([path, label]) => (
              <NavLink key={path} to={`/admin${path ? `/${path}` : ""}`} end={path === ""}>
                {label}
              </NavLink>
            ))}
          </nav>
          <Link to="/" className="account-links">
            View the shop
          </Link>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route index element={<Dashboard />} />
          <Route path="orders" element={<Orders />} />
          <Route path="orders/:id" element={<OrderDetail />} />
          <Route path="returns" element={<Returns />} />
          <Route path="products" element={<Products />} />
          <Route path="products/new" element={<ProductEditor />} />
          <Route path="products/:id" element={<ProductEditor />} />
          <Route path="discounts" element={<Discounts />} />
          <Route path="categories" element={<Categories />} />
          <Route path="collections" element={<Collections />} />
          <Route path="shipping" element={<ShippingZones />} />
          <Route path="tax" element={<TaxRates />} />
          <Route path="users" element={<Users />} />
          <Route path="dead-letters" element={<DeadLetters />} />
          <Route path="audit" element={<Audit />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </div>
  );
}
