import { Link } from "react-router";
import type { Product } from "../api/client";
import { formatMoney } from "../lib/money";

/** The photo URL closest to `width` pixels wide. */
export function pictureOf(product: Product, width = 400): string | undefined {
  const first = product.media[0];
  if (!first) return product.thumbnail ?? product.images[0] ?? undefined;
  return rendition(first.renditions, width) ?? first.url;
}

export function rendition(renditions: Record<string, string>, width: number): string | undefined {
  const sizes = Object.keys(renditions)
    .map(Number)
    .filter((n) => Number.isFinite(n))
    .sort((a, b) => a - b);
  const fit = sizes.find((size) => size >= width) ?? sizes[sizes.length - 1];
  return fit === undefined ? undefined : renditions[String(fit)];
}

export function priceLabel(product: Product): string {
  const { min, max } = product.price_range;
  return min.amount === max.amount ? formatMoney(min) : `From ${formatMoney(min)}`;
}

export function ProductCard({ product }: { product: Product }) {
  const picture = pictureOf(product);
  const soldOut = product.stock_quantity <= 0;
  return (
    <li className="card">
      <Link to={`/p/${product.id}`}>
        <div className="card-image">
          {picture ? (
            <img src={picture} alt="" loading="lazy" width={400} height={400} />
          ) : (
            <div className="no-image" aria-hidden="true" />
          )}
        </div>
        <span className="card-name">{product.name}</span>
      </Link>
      <span className="card-meta">
        {product.brand && <span className="muted">{product.brand}</span>}
        <span className="price">{priceLabel(product)}</span>
        {soldOut && <span className="tag">Sold out</span>}
      </span>
    </li>
  );
}

export function ProductGrid({ products, label }: { products: Product[]; label: string }) {
  return (
    <ul className="grid" aria-label={label}>
      {products.map((p) => (
        <ProductCard key={p.id} product={p} />
      ))}
    </ul>
  );
}
