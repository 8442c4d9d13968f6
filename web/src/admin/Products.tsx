import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type DragEvent, type FormEvent } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { api, ok, type Product, type Schemas } from "../api/client";
import { fieldError, humanError } from "../lib/errors";
import { formatMoney, parseAmount } from "../lib/money";
import { useDebounced } from "../shop/SearchBox";
import { Alert, Loading, useCategories } from "../ui/Layout";
import { TextField } from "../ui/TextField";
import { combinations } from "./variants";

export function Products() {
  const [params, setParams] = useSearchParams();
  const [text, setText] = useState(params.get("q") ?? "");
  const q = useDebounced(text.trim(), 250);
  const products = useQuery({
    queryKey: ["admin", "products", q],
    queryFn: () =>
      ok(api.GET("/api/v1/products", { params: { query: { q: q || undefined, page_size: 50 } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <div className="page">
      <h1>Products</h1>
      <p>
        <Link className="button primary" to="/admin/products/new">
          New product
        </Link>
      </p>
      <label>
        Search{" "}
        <input
          type="search"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setParams(e.target.value ? { q: e.target.value } : {});
          }}
        />
      </label>
      {products.error && <Alert>{humanError(products.error)}</Alert>}
      {products.isPending && <Loading what="Loading products" />}
      {products.data && (
        <table className="table">
          <caption className="visually-hidden">Products</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Variants</th>
              <th scope="col">Stock</th>
              <th scope="col">Price</th>
            </tr>
          </thead>
          <tbody>
            {products.data.items.map((p) => (
              <tr key={p.id}>
                <td>
                  <Link to={`/admin/products/${p.id}`}>{p.name}</Link>
                </td>
                <td>{p.variants.length}</td>
                <td>{p.stock_quantity}</td>
                <td>{formatMoney(p.price)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

type OptionDraft = { name: string; values: string };
type VariantDraft = { options: Record<string, string>; sku: string; price: string; stock: string };

/** Creating a product (`/admin/products/new`) or changing one. */
export function ProductEditor() {
  const { id } = useParams();
  const product = useQuery({
    queryKey: ["admin", "product", id],
    enabled: Boolean(id),
    queryFn: () => ok(api.GET("/api/v1/products/{id}", { params: { path: { id: id ?? "" } } })),
  });
  if (!id) return <NewProduct />;
  if (product.isPending) return <Loading what="Loading the product" />;
  if (product.error) return <Alert>{humanError(product.error)}</Alert>;
  return <EditProduct product={product.data} />;
}

function NewProduct() {
  const navigate = useNavigate();
  const queries = useQueryClient();
  const categories = useCategories();
  const [name, setName] = useState("");
  const [brand, setBrand] = useState("");
  const [description, setDescription] = useState("");
  const [categoryId, setCategoryId] = useState("");
  const [baseSku, setBaseSku] = useState("");
  const [basePrice, setBasePrice] = useState("");
  const [options, setOptions] = useState<OptionDraft[]>([]);
  const [variants, setVariants] = useState<Record<string, VariantDraft>>({});
  const [problem, setProblem] = useState("");

  const parsed = options
    .map((o) => ({ name: o.name.trim(), values: o.values.split(",").map((v) => v.trim()).filter(Boolean) }))
    .filter((o) => o.name && o.values.length);
  const rows = combinations(parsed).map((combo) => {
    const key = JSON.stringify(combo);
    const suffix = Object.values(combo).map((v) => v.toUpperCase().replace(/[^A-Z0-9]+/g, ""));
    return (
      variants[key] ?? {
        options: combo,
        sku: [baseSku.trim().toUpperCase(), ...suffix].filter(Boolean).join("-"),
        price: basePrice,
        stock: "0",
      }
    );
  });
  const edit = (draft: VariantDraft, change: Partial<VariantDraft>) =>
    setVariants({ ...variants, [JSON.stringify(draft.options)]: { ...draft, ...change } });

  const create = useMutation({
    mutationFn: () => {
      const body: Schemas["NewProductRequest"] = {
        name: name.trim(),
        brand: brand.trim() || null,
        description: description.trim() || null,
        category_id: categoryId,
        options: parsed.map((o) => ({ name: o.name, values: o.values })),
        variants: rows.map((row) => ({
          options: row.options,
          sku: row.sku.trim(),
          price: { amount: parseAmount(row.price) ?? -1, currency: "usd" },
          stock_quantity: Number(row.stock) || 0,
        })),
      };
      return ok(api.POST("/api/v1/admin/products", { body }));
    },
    onSuccess: (created) => {
      void queries.invalidateQueries({ queryKey: ["admin", "products"] });
      navigate(`/admin/products/${created.id}`, { state: { created: true } });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const bad = rows.find((row) => parseAmount(row.price) === null);
    if (bad) {
      setProblem(`Enter a price for ${bad.sku || "every variant"}, like 24 or 24.99.`);
      return;
    }
    setProblem("");
    create.mutate();
  };
  const error = create.error;
  return (
    <div className="page">
      <p>
        <Link to="/admin/products">All products</Link>
      </p>
      <h1>New product</h1>
      <form onSubmit={submit} className="editor">
        <TextField id="name" label="Name" value={name} onChange={setName} error={fieldError(error, "name")} required />
        <TextField id="brand" label="Brand" value={brand} onChange={setBrand} error={fieldError(error, "brand")} />
        <div className="field">
          <label htmlFor="description">Description</label>
          <textarea id="description" rows={4} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="category">Category</label>
          <select id="category" required value={categoryId} onChange={(e) => setCategoryId(e.target.value)}>
            <option value="">Choose a category</option>
            {(categories.data?.items ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.path.map((p) => p.name).join(" › ")}
              </option>
            ))}
          </select>
          {fieldError(error, "category_id") && <p className="field-error">{fieldError(error, "category_id")}</p>}
        </div>
        <TextField id="sku" label="Base SKU" value={baseSku} onChange={setBaseSku} help="Variant SKUs start with it." />
        <TextField id="price" label="Price" value={basePrice} onChange={setBasePrice} help="For every variant, unless changed below." />

        <fieldset>
          <legend>Options</legend>
          {options.map((option, index) => (
            <div key={index} className="option-row">
              <TextField
                id={`option-${index}-name`}
                label={`Option ${index + 1} name`}
                value={option.name}
                onChange={(v) => setOptions(options.map((o, i) => (i === index ? { ...o, name: v } : o)))}
              />
              <TextField
                id={`option-${index}-values`}
                label={`Option ${index + 1} values`}
                help="Separated by commas, like S, M, L."
                value={option.values}
                onChange={(v) => setOptions(options.map((o, i) => (i === index ? { ...o, values: v } : o)))}
              />
              <button type="button" className="link" onClick={() => setOptions(options.filter((_, i) => i !== index))}>
                Remove option {index + 1}
              </button>
            </div>
          ))}
          <button type="button" onClick={() => setOptions([...options, { name: "", values: "" }])}>
            Add an option
          </button>
        </fieldset>

        <fieldset>
          <legend>Variants ({rows.length})</legend>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Variant</th>
                <th scope="col">SKU</th>
                <th scope="col">Price</th>
                <th scope="col">Stock</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, index) => {
                const label = Object.values(row.options).join(" / ") || "Default";
                return (
                  <tr key={JSON.stringify(row.options)}>
                    <th scope="row">{label}</th>
                    <td>
                      <input aria-label={`SKU of ${label}`} value={row.sku} onChange={(e) => edit(row, { sku: e.target.value })} />
                      {fieldError(error, `variants[${index}].sku`) && (
                        <p className="field-error">{fieldError(error, `variants[${index}].sku`)}</p>
                      )}
                    </td>
                    <td>
                      <input
                        aria-label={`Price of ${label}`}
                        inputMode="decimal"
                        value={row.price}
                        onChange={(e) => edit(row, { price: e.target.value })}
                      />
                    </td>
                    <td>
                      <input
                        aria-label={`Stock of ${label}`}
                        type="number"
                        min={0}
                        value={row.stock}
                        onChange={(e) => edit(row, { stock: e.target.value })}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </fieldset>
        {problem && <Alert>{problem}</Alert>}
        {error ? <Alert>{humanError(error)}</Alert> : null}
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create product"}
        </button>
      </form>
    </div>
  );
}

function EditProduct({ product }: { product: Product }) {
  const queries = useQueryClient();
  // Any change here may change what the dashboard counts as low on stock.
  const refresh = () =>
    Promise.all([
      queries.invalidateQueries({ queryKey: ["admin", "product", product.id] }),
      queries.invalidateQueries({ queryKey: ["admin", "low-stock"] }),
    ]);
  const [active, setActive] = useState(product.is_active);
  const save = useMutation({
    mutationFn: (is_active: boolean) =>
      ok(api.PUT("/api/v1/admin/products/{id}", { params: { path: { id: product.id } }, body: { is_active } })),
    onSuccess: refresh,
  });
  return (
    <div className="page">
      <p>
        <Link to="/admin/products">All products</Link> · <Link to={`/p/${product.id}`}>View in the shop</Link>
      </p>
      <h1>{product.name}</h1>
      <label className="check">
        <input
          type="checkbox"
          checked={active}
          onChange={(e) => {
            setActive(e.target.checked);
            save.mutate(e.target.checked);
          }}
        />
        Offered to shoppers
      </label>
      {save.error ? <Alert>{humanError(save.error)}</Alert> : null}
      <Details product={product} onChange={refresh} />
      <Photos product={product} onChange={refresh} />
      <Stock product={product} onChange={refresh} />
      <NewVariant product={product} onChange={refresh} />
    </div>
  );
}

function Details({ product, onChange }: { product: Product; onChange(): void }) {
  const categories = useCategories();
  const [name, setName] = useState(product.name);
  const [brand, setBrand] = useState(product.brand);
  const [description, setDescription] = useState(product.description);
  const [categoryId, setCategoryId] = useState(product.category_id ?? "");
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PUT("/api/v1/admin/products/{id}", {
          params: { path: { id: product.id } },
          body: {
            name: name.trim(),
            brand: brand.trim() || null,
            description: description.trim() || null,
            category_id: categoryId || null,
          },
        }),
      ),
    onSuccess: onChange,
  });
  return (
    <form
      className="editor"
      aria-labelledby="details"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h2 id="details">Details</h2>
      <TextField id="edit-name" label="Name" value={name} onChange={setName} error={fieldError(save.error, "name")} required />
      <TextField id="edit-brand" label="Brand" value={brand} onChange={setBrand} error={fieldError(save.error, "brand")} />
      <div className="field">
        <label htmlFor="edit-description">Description</label>
        <textarea id="edit-description" rows={4} value={description} onChange={(e) => setDescription(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="edit-category">Category</label>
        <select id="edit-category" value={categoryId} onChange={(e) => setCategoryId(e.target.value)}>
          {(categories.data?.items ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.path.map((p) => p.name).join(" › ")}
            </option>
          ))}
        </select>
      </div>
      {save.error ? <Alert>{humanError(save.error)}</Alert> : null}
      {save.isSuccess && <p role="status">Saved.</p>}
      <button type="submit" disabled={save.isPending}>
        Save details
      </button>
    </form>
  );
}

function NewVariant({ product, onChange }: { product: Product; onChange(): void }) {
  const [options, setOptions] = useState<Record<string, string>>(() =>
    Object.fromEntries(product.options.map((o) => [o.name, o.values[0] ?? ""])),
  );
  const [sku, setSku] = useState("");
  const [price, setPrice] = useState("");
  const [stock, setStock] = useState("0");
  const [problem, setProblem] = useState("");
  const add = useMutation({
    mutationFn: (amount: number) =>
      ok(
        api.POST("/api/v1/admin/products/{id}/variants", {
          params: { path: { id: product.id } },
          body: {
            options,
            sku: sku.trim(),
            price: { amount, currency: "usd" },
            stock_quantity: Number(stock) || 0,
          },
        }),
      ),
    onSuccess: () => {
      setSku("");
      onChange();
    },
  });
  if (product.options.length === 0) return null;
  return (
    <form
      className="editor"
      aria-labelledby="new-variant"
      onSubmit={(e) => {
        e.preventDefault();
        const amount = parseAmount(price);
        if (amount === null) {
          setProblem("Enter the new variant's price, like 24 or 24.99.");
          return;
        }
        setProblem("");
        add.mutate(amount);
      }}
    >
      <h2 id="new-variant">Add a variant</h2>
      {product.options.map((o) => (
        <div className="field" key={o.id}>
          <label htmlFor={`new-${o.id}`}>{o.name}</label>
          <select
            id={`new-${o.id}`}
            value={options[o.name] ?? ""}
            onChange={(e) => setOptions({ ...options, [o.name]: e.target.value })}
          >
            {o.values.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </div>
      ))}
      <TextField id="new-sku" label="SKU" value={sku} onChange={setSku} error={fieldError(add.error, "sku")} />
      <TextField id="new-price" label="Price" value={price} onChange={setPrice} />
      <TextField id="new-stock" label="Stock" value={stock} onChange={setStock} />
      {problem && <Alert>{problem}</Alert>}
      {add.error ? <Alert>{humanError(add.error)}</Alert> : null}
      <button type="submit" disabled={add.isPending}>
        Add variant
      </button>
    </form>
  );
}

function Photos({ product, onChange }: { product: Product; onChange(): void }) {
  const [over, setOver] = useState(false);
  const upload = useMutation({
    mutationFn: async (file: File) => {
      const form = new FormData();
      form.append("file", file);
      form.append("alt", product.name);
      // openapi-fetch sends a FormData body as it is (multipart).
      const body = form as unknown as Schemas["MediaUpload"];
      return ok(api.POST("/api/v1/admin/products/{id}/media", { params: { path: { id: product.id } }, body }));
    },
    onSuccess: onChange,
  });
  const drop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    for (const file of Array.from(event.dataTransfer.files)) upload.mutate(file);
  };
  return (
    <section aria-labelledby="photos">
      <h2 id="photos">Photos</h2>
      <ul className="thumbs">
        {product.media.map((m) => (
          <li key={m.id}>
            <img src={m.renditions["160"] ?? m.url} alt={m.alt} width={80} height={80} />
          </li>
        ))}
      </ul>
      <div
        className={`dropzone${over ? " over" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
      >
        <p>Drop photos here, or</p>
        <label className="button">
          Choose photos
          <input
            type="file"
            accept="image/png,image/jpeg,image/webp"
            multiple
            className="visually-hidden"
            onChange={(e) => {
              for (const file of Array.from(e.target.files ?? [])) upload.mutate(file);
              e.target.value = "";
            }}
          />
        </label>
      </div>
      {upload.isPending && <p role="status">Uploading…</p>}
      {upload.isSuccess && !upload.isPending && <p role="status">Photo added.</p>}
      {upload.error ? <Alert>{humanError(upload.error)}</Alert> : null}
    </section>
  );
}

function Stock({ product, onChange }: { product: Product; onChange(): void }) {
  const [counts, setCounts] = useState<Record<string, string>>({});
  const [prices, setPrices] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState("");
  const save = useMutation({
    mutationFn: async ({ id, quantity, price }: { id: string; quantity?: number; price?: number }) => {
      if (price !== undefined) {
        await ok(
          api.PUT("/api/v1/admin/variants/{id}", {
            params: { path: { id } },
            body: { price: { amount: price, currency: "usd" } },
          }),
        );
      }
      if (quantity !== undefined) {
        await ok(api.PATCH("/api/v1/admin/variants/{id}/stock", { params: { path: { id } }, body: { quantity } }));
      }
    },
    onSuccess: onChange,
  });
  const remove = useMutation({
    mutationFn: (id: string) => ok(api.DELETE("/api/v1/admin/variants/{id}", { params: { path: { id } } })),
    onSuccess: onChange,
  });
  const error = save.error ?? remove.error;
  return (
    <section aria-labelledby="stock">
      <h2 id="stock">Variants and stock</h2>
      {error ? <Alert>{humanError(error)}</Alert> : null}
      {problem && <Alert>{problem}</Alert>}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Variant</th>
            <th scope="col">SKU</th>
            <th scope="col">In stock</th>
            <th scope="col">Price and stock</th>
            <th scope="col">
              <span className="visually-hidden">Delete</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {product.variants.map((v) => {
            const label = product.options.map((o) => v.options[o.name]).join(" / ") || "Default";
            const count = counts[v.id] ?? String(v.stock_quantity);
            const price = prices[v.id] ?? (v.price.amount / 100).toFixed(2);
            return (
              <tr key={v.id}>
                <th scope="row">{label}</th>
                <td>{v.sku}</td>
                <td>{v.stock_quantity}</td>
                <td>
                  <form
                    className="inline"
                    onSubmit={(e) => {
                      e.preventDefault();
                      const amount = parseAmount(price);
                      if (amount === null) {
                        setProblem(`Enter the price of ${label} like 24 or 24.99.`);
                        return;
                      }
                      setProblem("");
                      save.mutate({
                        id: v.id,
                        price: amount !== v.price.amount ? amount : undefined,
                        quantity: Number(count) !== v.stock_quantity ? Number(count) || 0 : undefined,
                      });
                    }}
                  >
                    <input
                      aria-label={`Price of ${label}`}
                      inputMode="decimal"
                      value={price}
                      onChange={(e) => setPrices({ ...prices, [v.id]: e.target.value })}
                    />
                    <input
                      aria-label={`Stock of ${label}`}
                      type="number"
                      min={0}
                      value={count}
                      onChange={(e) => setCounts({ ...counts, [v.id]: e.target.value })}
                    />
                    <button type="submit" aria-label={`Save ${label}`}>
                      Save
                    </button>
                  </form>
                </td>
                <td>
                  <button
                    type="button"
                    className="link"
                    onClick={() => {
                      if (window.confirm(`Delete the variant ${label}? Past orders keep it.`)) remove.mutate(v.id);
                    }}
                  >
                    Delete<span className="visually-hidden"> {label}</span>
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
