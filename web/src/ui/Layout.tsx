import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { Link, NavLink, Outlet, useLocation } from "react-router";
import { api, ok } from "../api/client";
import { useCart } from "../shop/cart";
import { SearchBox } from "../shop/SearchBox";
import { useSession } from "../session";

export function useCategories() {
  return useQuery({
    queryKey: ["categories"],
    queryFn: () => ok(api.GET("/api/v1/categories")),
    staleTime: 5 * 60_000,
  });
}

export function Layout() {
  const { user, ready } = useSession();
  const cart = useCart();
  const categories = useCategories();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const count = cart.data?.item_count ?? 0;

  // A new page: focus moves to its content, as a screen reader expects.
  useEffect(() => {
    main.current?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [location.pathname]);

  const top = (categories.data?.items ?? []).filter((c) => !c.parent_id);
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="bar">
          <Link to="/" className="brand" aria-label="GoKart home">
            GoKart
          </Link>
          <SearchBox />
          <nav aria-label="Account" className="account-links">
            {ready && user ? (
              <Link to="/account">{user.name.split(" ")[0] || "Account"}</Link>
            ) : (
              <Link to="/account/sign-in">Sign in</Link>
            )}
            <Link to="/cart" className="cart-link">
              Cart <span className="badge" aria-label={`${count} items`}>{count}</span>
            </Link>
          </nav>
        </div>
        {top.length > 0 && (
          <nav aria-label="Categories" className="categories">
            <ul>
              {top.map((c) => (
                <li key={c.id}>
                  <NavLink to={`/c/${c.slug}`}>{c.name}</NavLink>
                </li>
              ))}
            </ul>
          </nav>
        )}
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Outlet />
      </main>
      <footer className="site-footer">
        <p>GoKart — an open-source shop.</p>
      </footer>
    </>
  );
}

export function NotFound() {
  return (
    <section className="page narrow">
      <h1>Page not found</h1>
      <p>We could not find that page. It may have moved.</p>
      <p>
        <Link to="/">Back to the shop</Link>
      </p>
    </section>
  );
}

/** A short message while something loads, announced politely. */
export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p className="loading" role="status">
      {what}…
    </p>
  );
}

/** An error for people, announced at once. */
export function Alert({ children }: { children: React.ReactNode }) {
  if (!children) return null;
  return (
    <div className="alert" role="alert">
      {children}
    </div>
  );
}

/** Previous and next for a list of `pages` pages, showing page `page`. */
export function Pager({ page, pages, onPage }: { page: number; pages: number; onPage: (page: number) => void }) {
  if (pages <= 1) return null;
  return (
    <nav aria-label="Pages" className="pager">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span>
        Page {page} of {pages}
      </span>
      <button type="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}
