import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, ok } from "../api/client";
import { Alert, Loading, useCategories } from "../ui/Layout";
import { humanError } from "../lib/errors";
import { ProductGrid } from "./ProductCard";

export function Home() {
  const collections = useQuery({
    queryKey: ["collections"],
    queryFn: () => ok(api.GET("/api/v1/collections", { params: { query: { page_size: 6 } } })),
  });
  const newest = useQuery({
    queryKey: ["products", "newest"],
    queryFn: () =>
      ok(api.GET("/api/v1/products", { params: { query: { sort: "newest", page_size: 8 } } })),
  });
  const categories = useCategories();
  const top = (categories.data?.items ?? []).filter((c) => !c.parent_id);

  return (
    <div className="page">
      <section className="hero">
        <h1>Everything for the road and the home</h1>
        <p>Free shipping over the threshold, returns made simple.</p>
      </section>

      {(collections.data?.items.length ?? 0) > 0 && (
        <section aria-labelledby="collections">
          <h2 id="collections">Collections</h2>
          <ul className="tiles">
            {collections.data?.items.map((c) => (
              <li key={c.id}>
                <Link to={`/collections/${c.handle}`}>
                  <strong>{c.title}</strong>
                  {c.description && <span className="muted">{c.description}</span>}
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}

      {top.length > 0 && (
        <section aria-labelledby="categories">
          <h2 id="categories">Shop by category</h2>
          <ul className="tiles">
            {top.map((c) => (
              <li key={c.id}>
                <Link to={`/c/${c.slug}`}>
                  <strong>{c.name}</strong>
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-labelledby="new">
        <h2 id="new">New in</h2>
        {newest.isPending && <Loading what="Loading products" />}
        {newest.error && <Alert>{humanError(newest.error)}</Alert>}
        {newest.data && <ProductGrid products={newest.data.items} label="New products" />}
      </section>
    </div>
  );
}
