import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { api, ok, type Schemas } from "../api/client";
import { humanError } from "../lib/errors";
import { formatMoney, parseAmount } from "../lib/money";
import { Alert, Loading, Pager, useCategories } from "../ui/Layout";
import { ProductGrid } from "./ProductCard";

type Sort = Schemas["ProductSort"];
const SORTS: [Sort, string][] = [
  ["relevance", "Best match"],
  ["newest", "Newest"],
  ["price_asc", "Price: low to high"],
  ["price_desc", "Price: high to low"],
];
const PAGE_SIZE = 24;

/** Search results (`/search?q=`) and category pages (`/c/:slug`), with filters. */
export function Catalog() {
  const { slug } = useParams();
  const [params, setParams] = useSearchParams();
  const categories = useCategories();
  const category = slug ? categories.data?.items.find((c) => c.slug === slug) : undefined;
  const q = params.get("q") ?? "";
  const sort = (params.get("sort") as Sort | null) ?? (q ? "relevance" : "newest");
  const page = Math.max(1, Number(params.get("page") ?? "1") || 1);
  const min = params.get("min_price");
  const max = params.get("max_price");
  const inStock = params.get("in_stock") === "true";
  const brand = params.get("brand");

  const query = {
    q: q || undefined,
    category: slug,
    sort,
    page,
    page_size: PAGE_SIZE,
    min_price: min ? Number(min) : undefined,
    max_price: max ? Number(max) : undefined,
    in_stock: inStock ? true : undefined,
    brand: brand ?? undefined,
    facets: "category,price,brand",
  };
  const products = useQuery({
    queryKey: ["products", query],
    queryFn: () => ok(api.GET("/api/v1/products", { params: { query } })),
    placeholderData: keepPreviousData,
  });

  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === "") next.delete(key);
      else next.set(key, value);
    }
    if (!("page" in changes)) next.delete("page");
    setParams(next);
  };

  const title = slug ? (category?.name ?? "Products") : q ? `Results for “${q}”` : "All products";
  const total = products.data?.total ?? 0;
  const exact = products.data?.total_is_exact ?? true;
  const facets = products.data?.facets;
  // On a search, the categories its results are in.
  const found = q && !slug
    ? (facets?.category ?? []).flatMap((facet) => {
        const c = categories.data?.items.find((c) => c.id === facet.value);
        return c ? [{ slug: c.slug, name: c.name, count: facet.count }] : [];
      })
    : [];
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const subcategories = category
    ? (categories.data?.items ?? []).filter((c) => c.parent_id === category.id)
    : [];

  return (
    <div className="page catalog">
      {category && category.path.length > 1 && (
        <nav aria-label="Breadcrumb" className="crumbs">
          <ol>
            {category.path.map((crumb, index) => (
              <li key={crumb.id}>
                {index < category.path.length - 1 ? (
                  <Link to={`/c/${crumb.slug}`}>{crumb.name}</Link>
                ) : (
                  <span aria-current="page">{crumb.name}</span>
                )}
              </li>
            ))}
          </ol>
        </nav>
      )}
      <h1>{title}</h1>
      {category?.description && <p className="lead">{category.description}</p>}
      <div className="catalog-body">
        <Filters
          key={`${min}-${max}`}
          min={min}
          max={max}
          inStock={inStock}
          subcategories={subcategories}
          found={found}
          brand={brand}
          brands={facets?.brand ?? []}
          q={q}
          prices={min || max ? [] : (facets?.price ?? [])}
          currency={products.data?.items[0]?.price.currency ?? "usd"}
          onChange={update}
        />
        <section aria-labelledby="results" className="results">
          <div className="results-bar">
            <p id="results" role="status">
              {products.isPending
                ? "Searching…"
                : `${exact ? "" : "More than "}${total.toLocaleString()} ${total === 1 && exact ? "product" : "products"}`}
            </p>
            <label>
              Sort by{" "}
              <select value={sort} onChange={(e) => update({ sort: e.target.value })}>
                {SORTS.filter(([value]) => value !== "relevance" || q).map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {products.isPending && <Loading what="Loading products" />}
          {products.error && <Alert>{humanError(products.error)}</Alert>}
          {products.data && products.data.items.length === 0 && (
            <p>No products match. Try fewer filters or another word.</p>
          )}
          {products.data && <ProductGrid products={products.data.items} label={title} />}
          <Pager page={page} pages={pages} onPage={(next) => update({ page: String(next) })} />
        </section>
      </div>
    </div>
  );
}

function Filters(props: {
  min: string | null;
  max: string | null;
  inStock: boolean;
  subcategories: Schemas["CategoryView"][];
  found: { slug: string; name: string; count: number }[];
  brand: string | null;
  brands: Schemas["ValueCount"][];
  q: string;
  prices: Schemas["PriceBucket"][];
  currency: string;
  onChange(changes: Record<string, string | null>): void;
}) {
  const show = (minor: string | null) => (minor ? String(Number(minor) / 100) : "");
  const [min, setMin] = useState(show(props.min));
  const [max, setMax] = useState(show(props.max));
  const [error, setError] = useState("");
  const apply = (event: FormEvent) => {
    event.preventDefault();
    const low = min.trim() ? parseAmount(min) : null;
    const high = max.trim() ? parseAmount(max) : null;
    if ((min.trim() && low === null) || (max.trim() && high === null)) {
      setError("Enter prices as numbers, like 25 or 19.99.");
      return;
    }
    if (low !== null && high !== null && low > high) {
      setError("The lowest price must not be above the highest.");
      return;
    }
    setError("");
    props.onChange({
      min_price: low === null ? null : String(low),
      max_price: high === null ? null : String(high),
    });
  };
  return (
    <aside className="filters" aria-label="Filters">
      {props.subcategories.length > 0 && (
        <nav aria-label="Subcategories">
          <h2 className="small">Categories</h2>
          <ul>
            {props.subcategories.map((c) => (
              <li key={c.id}>
                <Link to={`/c/${c.slug}`}>{c.name}</Link>
              </li>
            ))}
          </ul>
        </nav>
      )}
      {props.found.length > 0 && (
        <nav aria-label="Categories found">
          <h2 className="small">Found in</h2>
          <ul>
            {props.found.map((c) => (
              <li key={c.slug}>
                <Link to={`/c/${c.slug}?q=${encodeURIComponent(props.q)}`}>{c.name}</Link>{" "}
                <span className="muted">({c.count})</span>
              </li>
            ))}
          </ul>
        </nav>
      )}
      {(props.brand || props.brands.length > 1) && (
        <nav aria-label="Brands">
          <h2 className="small">Brand</h2>
          {props.brand ? (
            <p>
              {props.brand}{" "}
              <button type="button" className="link" onClick={() => props.onChange({ brand: null })}>
                Any brand
              </button>
            </p>
          ) : (
            <ul>
              {props.brands.map((b) => (
                <li key={b.value}>
                  <button type="button" className="link" onClick={() => props.onChange({ brand: b.value })}>
                    {b.value}
                  </button>{" "}
                  <span className="muted">({b.count})</span>
                </li>
              ))}
            </ul>
          )}
        </nav>
      )}
      {props.prices.length > 1 && (
        <nav aria-label="Price ranges">
          <h2 className="small">Price range</h2>
          <ul>
            {props.prices.map((bucket) => (
              <li key={bucket.min}>
                <button
                  type="button"
                  className="link"
                  onClick={() =>
                    props.onChange({
                      min_price: bucket.min > 0 ? String(bucket.min) : null,
                      max_price: bucket.max ? String(bucket.max - 1) : null,
                    })
                  }
                >
                  {priceRange(bucket, props.currency)}
                </button>{" "}
                <span className="muted">({bucket.count})</span>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <form onSubmit={apply}>
        <fieldset>
          <legend>Price</legend>
          <label>
            Lowest <input inputMode="decimal" value={min} onChange={(e) => setMin(e.target.value)} size={6} />
          </label>
          <label>
            Highest <input inputMode="decimal" value={max} onChange={(e) => setMax(e.target.value)} size={6} />
          </label>
          <button type="submit">Apply</button>
          {error && (
            <p className="field-error" role="alert">
              {error}
            </p>
          )}
        </fieldset>
      </form>
      <label className="check">
        <input
          type="checkbox"
          checked={props.inStock}
          onChange={(e) => props.onChange({ in_stock: e.target.checked ? "true" : null })}
        />
        In stock only
      </label>
    </aside>
  );
}

/** A price bucket as a shopper reads it: "$25.00 to $50.00". */
function priceRange(bucket: Schemas["PriceBucket"], currency: string): string {
  const money = (amount: number) => formatMoney({ amount, currency });
  if (!bucket.max) return `${money(bucket.min)} and up`;
  if (bucket.min === 0) return `Under ${money(bucket.max)}`;
  return `${money(bucket.min)} to ${money(bucket.max)}`;
}
