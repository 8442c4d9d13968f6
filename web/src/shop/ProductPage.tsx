import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, ok, type Product } from "../api/client";
import { humanError } from "../lib/errors";
import { formatMoney } from "../lib/money";
import { choiceFor, initialPick, variantFor, type Picked } from "../lib/variants";
import { Alert, Loading } from "../ui/Layout";
import { useCartActions } from "./cart";
import { rendition } from "./ProductCard";

export function ProductPage() {
  const { id = "" } = useParams();
  const product = useQuery({
    queryKey: ["product", id],
    queryFn: () => ok(api.GET("/api/v1/products/{id}", { params: { path: { id } } })),
  });
  if (product.isPending) return <Loading what="Loading the product" />;
  if (product.error) return <Alert>{humanError(product.error)}</Alert>;
  return <ProductDetail key={product.data.id} product={product.data} />;
}

function ProductDetail({ product }: { product: Product }) {
  const [picked, setPicked] = useState<Picked>(() => initialPick(product));
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState("");
  const { add } = useCartActions();
  const variant = variantFor(product, picked);
  const soldOut = !variant || variant.stock_quantity <= 0;
  const price = variant?.price ?? product.price;

  // The chosen variant's photos first, then the rest.
  const media = [...product.media].sort((a, b) => {
    const mine = (m: typeof a) => (variant?.media_ids.includes(m.id) ? 0 : 1);
    return mine(a) - mine(b) || a.position - b.position;
  });

  const addToCart = () => {
    if (!variant) return;
    setAdded("");
    add.mutate(
      { variant_id: variant.id, quantity },
      { onSuccess: () => setAdded(`Added ${quantity} × ${product.name} to your cart.`) },
    );
  };

  return (
    <div className="page product">
      <Gallery key={variant?.id ?? "none"} media={media} name={product.name} />
      <section className="buy" aria-labelledby="product-name">
        {product.brand && <p className="muted">{product.brand}</p>}
        <h1 id="product-name">{product.name}</h1>
        <p className="price big">
          {formatMoney(price)}
          {variant?.compare_at_price && variant.compare_at_price.amount > price.amount && (
            <>
              {" "}
              <s aria-label={`was ${formatMoney(variant.compare_at_price)}`}>
                {formatMoney(variant.compare_at_price)}
              </s>
            </>
          )}
        </p>
        {product.options.map((option) => (
          <fieldset key={option.id} className="option">
            <legend>
              {option.name}: <strong>{picked[option.name] ?? "choose"}</strong>
            </legend>
            <div className="swatches">
              {option.values.map((value) => {
                const choice = choiceFor(product, picked, option.name, value);
                const inputId = `${option.id}-${value}`;
                return (
                  <span key={value} className={`swatch ${choice}`}>
                    <input
                      type="radio"
                      id={inputId}
                      name={option.name}
                      value={value}
                      checked={picked[option.name] === value}
                      disabled={choice === "unavailable"}
                      onChange={() => setPicked({ ...picked, [option.name]: value })}
                    />
                    <label htmlFor={inputId}>
                      {value}
                      {choice === "sold_out" && <span className="swatch-note"> (sold out)</span>}
                    </label>
                  </span>
                );
              })}
            </div>
          </fieldset>
        ))}
        <p className="stock" role="status">
          {!variant
            ? "This combination is not available."
            : soldOut
              ? "Sold out"
              : variant.stock_quantity <= 5
                ? `Only ${variant.stock_quantity} left`
                : "In stock"}
        </p>
        <div className="add">
          <label>
            Quantity{" "}
            <input
              type="number"
              min={1}
              max={Math.max(1, Math.min(99, variant?.stock_quantity ?? 1))}
              value={quantity}
              onChange={(e) => setQuantity(Math.max(1, Math.min(99, Number(e.target.value) || 1)))}
            />
          </label>
          <button type="button" className="primary" disabled={soldOut || add.isPending} onClick={addToCart}>
            {soldOut ? "Sold out" : add.isPending ? "Adding…" : "Add to cart"}
          </button>
        </div>
        {add.error && <Alert>{humanError(add.error)}</Alert>}
        {added && (
          <p className="notice" role="status">
            {added} <Link to="/cart">View cart</Link>
          </p>
        )}
        {variant && <p className="muted small">SKU {variant.sku}</p>}
        <div className="description">
          <h2>Description</h2>
          <p>{product.description}</p>
        </div>
      </section>
    </div>
  );
}

function Gallery({ media, name }: { media: Product["media"]; name: string }) {
  const [index, setIndex] = useState(0);
  const shown = media[index] ?? media[0];
  if (!shown) return <div className="gallery no-image" aria-hidden="true" />;
  const large = rendition(shown.renditions, 800) ?? shown.url;
  return (
    <section className="gallery" aria-label="Photos">
      <img
        className="gallery-main"
        src={large}
        alt={shown.alt || name}
        width={shown.width}
        height={shown.height}
        fetchPriority="high"
      />
      {media.length > 1 && (
        <ul className="thumbs">
          {media.map((m, i) => (
            <li key={m.id}>
              <button
                type="button"
                aria-label={`Photo ${i + 1} of ${media.length}`}
                aria-pressed={i === index}
                onClick={() => setIndex(i)}
              >
                <img src={rendition(m.renditions, 160) ?? m.url} alt="" width={80} height={80} />
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
