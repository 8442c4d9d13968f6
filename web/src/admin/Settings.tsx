// The shop's rules and people: shipping zones, tax rates, categories and users.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { api, ok, type Schemas } from "../api/client";
import { countries, type CountryCode } from "../lib/countries";
import { fieldError, humanError } from "../lib/errors";
import { formatMoney, parseAmount } from "../lib/money";
import { useSession } from "../session";
import { useDebounced } from "../shop/SearchBox";
import { Alert, Loading, useCategories } from "../ui/Layout";
import { TextField } from "../ui/TextField";

const usd = (amount: number) => formatMoney({ amount, currency: "usd" });


function CountrySelect({ id, value, onChange }: { id: string; value: string; onChange(code: CountryCode): void }) {
  return (
    <div className="field">
      <label htmlFor={id}>Country</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as CountryCode)}>
        {countries().map((c) => (
          <option key={c.code} value={c.code}>
            {c.name}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A page of the admin with its title, and what loading it may say. */
function Section(props: { title: string; loading: boolean; error: unknown; children: ReactNode }) {
  return (
    <div className="page">
      <h1>{props.title}</h1>
      {props.loading && <Loading what={`Loading ${props.title.toLowerCase()}`} />}
      {props.error ? <Alert>{humanError(props.error)}</Alert> : null}
      {props.children}
    </div>
  );
}

export function ShippingZones() {
  const queries = useQueryClient();
  const zones = useQuery({
    queryKey: ["admin", "zones"],
    queryFn: () => ok(api.GET("/api/v1/admin/shipping-zones")),
  });
  const remove = useMutation({
    mutationFn: (id: string) => ok(api.DELETE("/api/v1/admin/shipping-zones/{id}", { params: { path: { id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ["admin", "zones"] }),
  });
  const [name, setName] = useState("");
  const [country, setCountry] = useState<CountryCode>("US");
  const [method, setMethod] = useState("Standard");
  const [price, setPrice] = useState("");
  const [freeOver, setFreeOver] = useState("");
  const [days, setDays] = useState("3-5");
  const [problem, setProblem] = useState("");
  const create = useMutation({
    mutationFn: (body: Schemas["ShippingZoneRequest"]) => ok(api.POST("/api/v1/admin/shipping-zones", { body })),
    onSuccess: () => {
      setName("");
      void queries.invalidateQueries({ queryKey: ["admin", "zones"] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const cost = parseAmount(price);
    const threshold = freeOver.trim() ? parseAmount(freeOver) : null;
    const [low, high] = days.split(/[-–]/).map((d) => Number(d.trim()));
    if (cost === null || (freeOver.trim() && threshold === null) || !low || !(high ?? low)) {
      setProblem("Enter the price and threshold as amounts (like 5.99) and the days as a range (like 3-5).");
      return;
    }
    setProblem("");
    create.mutate({
      name: name.trim(),
      countries: [country],
      methods: [
        {
          name: method.trim(),
          price: cost,
          free_over: threshold,
          estimated_days_min: low,
          estimated_days_max: high ?? low,
        },
      ],
    });
  };
  return (
    <Section title="Shipping zones" loading={zones.isPending} error={zones.error ?? remove.error}>
      <ul className="plain cards">
        {zones.data?.items.map((zone) => (
          <li key={zone.id} className="address-card">
            <strong>{zone.name}</strong> <span className="muted">({zone.countries.join(", ")})</span>
            <ul>
              {zone.methods.map((m) => (
                <li key={m.id}>
                  {m.name}: {usd(m.price)}
                  {m.free_over !== null && m.free_over !== undefined && `, free from ${usd(m.free_over)}`} ·{" "}
                  {m.estimated_days_min}–{m.estimated_days_max} days
                </li>
              ))}
            </ul>
            <button type="button" className="link" onClick={() => remove.mutate(zone.id)}>
              Delete<span className="visually-hidden"> zone {zone.name}</span>
            </button>
          </li>
        ))}
      </ul>
      <form onSubmit={submit} className="editor">
        <h2>New zone</h2>
        <TextField id="zone-name" label="Zone name" value={name} onChange={setName} error={fieldError(create.error, "name")} />
        <CountrySelect id="zone-country" value={country} onChange={setCountry} />
        <TextField id="method-name" label="Method name" value={method} onChange={setMethod} />
        <TextField id="method-price" label="Price" value={price} onChange={setPrice} inputMode="decimal" />
        <TextField id="method-free" label="Free from (optional)" value={freeOver} onChange={setFreeOver} inputMode="decimal" />
        <TextField id="method-days" label="Delivery days" value={days} onChange={setDays} help="A range, like 3-5." />
        {problem && <Alert>{problem}</Alert>}
        {create.error ? <Alert>{humanError(create.error)}</Alert> : null}
        <button type="submit" className="primary" disabled={create.isPending}>
          Create zone
        </button>
      </form>
    </Section>
  );
}

export function TaxRates() {
  const queries = useQueryClient();
  const rates = useQuery({
    queryKey: ["admin", "tax-rates"],
    queryFn: () => ok(api.GET("/api/v1/admin/tax-rates")),
  });
  const remove = useMutation({
    mutationFn: (id: string) => ok(api.DELETE("/api/v1/admin/tax-rates/{id}", { params: { path: { id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ["admin", "tax-rates"] }),
  });
  const [country, setCountry] = useState<CountryCode>("US");
  const [region, setRegion] = useState("");
  const [taxClass, setTaxClass] = useState("");
  const [percent, setPercent] = useState("");
  const [inclusive, setInclusive] = useState(false);
  const create = useMutation({
    mutationFn: (body: Schemas["TaxRateRequest"]) => ok(api.POST("/api/v1/admin/tax-rates", { body })),
    onSuccess: () => {
      setPercent("");
      void queries.invalidateQueries({ queryKey: ["admin", "tax-rates"] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({
      country,
      region: region.trim() || null,
      tax_class: taxClass.trim() || null,
      rate_bps: Math.round(Number(percent.replace(",", ".")) * 100),
      inclusive,
    });
  };
  return (
    <Section title="Tax rates" loading={rates.isPending} error={rates.error ?? remove.error}>
      <table className="table">
        <caption className="visually-hidden">Tax rates</caption>
        <thead>
          <tr>
            <th scope="col">Where</th>
            <th scope="col">Class</th>
            <th scope="col">Rate</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rates.data?.items.map((r) => (
            <tr key={r.id}>
              <td>
                {r.country}
                {r.region ? ` / ${r.region}` : ""}
              </td>
              <td>{r.tax_class ?? "standard"}</td>
              <td>
                {r.rate_bps / 100}%{r.inclusive ? " (included in prices)" : ""}
              </td>
              <td>
                <button type="button" className="link" onClick={() => remove.mutate(r.id)}>
                  Delete<span className="visually-hidden"> the rate for {r.country}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form onSubmit={submit} className="editor">
        <h2>New rate</h2>
        <CountrySelect id="rate-country" value={country} onChange={setCountry} />
        <TextField id="rate-region" label="Region (optional)" value={region} onChange={setRegion} />
        <TextField id="rate-class" label="Tax class (optional)" value={taxClass} onChange={setTaxClass} help="Like reduced; categories name it." />
        <TextField
          id="rate-percent"
          label="Rate in percent"
          value={percent}
          onChange={setPercent}
          inputMode="decimal"
          error={fieldError(create.error, "rate_bps")}
        />
        <label className="check">
          <input type="checkbox" checked={inclusive} onChange={(e) => setInclusive(e.target.checked)} />
          Prices there include this tax
        </label>
        {create.error ? <Alert>{humanError(create.error)}</Alert> : null}
        <button type="submit" className="primary" disabled={create.isPending}>
          Create rate
        </button>
      </form>
    </Section>
  );
}

export function Categories() {
  const queries = useQueryClient();
  const categories = useCategories();
  const refresh = () => queries.invalidateQueries({ queryKey: ["categories"] });
  const remove = useMutation({
    mutationFn: (id: string) => ok(api.DELETE("/api/v1/admin/categories/{id}", { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const [name, setName] = useState("");
  const [parent, setParent] = useState("");
  const [taxClass, setTaxClass] = useState("");
  const create = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/admin/categories", {
          body: { name: name.trim(), parent_id: parent || null, tax_class: taxClass.trim() || null },
        }),
      ),
    onSuccess: () => {
      setName("");
      void refresh();
    },
  });
  return (
    <Section title="Categories" loading={categories.isPending} error={categories.error ?? remove.error}>
      <ul className="plain">
        {categories.data?.items.map((c) => (
          <li key={c.id}>
            {c.path.map((p) => p.name).join(" › ")} <span className="muted small">({c.product_count} products)</span>{" "}
            <button type="button" className="link" onClick={() => remove.mutate(c.id)}>
              Delete<span className="visually-hidden"> {c.name}</span>
            </button>
          </li>
        ))}
      </ul>
      <form
        className="editor"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <h2>New category</h2>
        <TextField id="category-name" label="Name" value={name} onChange={setName} error={fieldError(create.error, "name")} />
        <div className="field">
          <label htmlFor="category-parent">Inside</label>
          <select id="category-parent" value={parent} onChange={(e) => setParent(e.target.value)}>
            <option value="">Nothing (top level)</option>
            {categories.data?.items.map((c) => (
              <option key={c.id} value={c.id}>
                {c.path.map((p) => p.name).join(" › ")}
              </option>
            ))}
          </select>
        </div>
        <TextField id="category-class" label="Tax class (optional)" value={taxClass} onChange={setTaxClass} />
        {create.error ? <Alert>{humanError(create.error)}</Alert> : null}
        <button type="submit" className="primary" disabled={create.isPending}>
          Create category
        </button>
      </form>
    </Section>
  );
}

export function Users() {
  const queries = useQueryClient();
  const { user: me } = useSession();
  const [text, setText] = useState("");
  const q = useDebounced(text.trim(), 250);
  const users = useQuery({
    queryKey: ["admin", "users", q],
    queryFn: () => ok(api.GET("/api/v1/admin/users", { params: { query: { q: q || undefined, page_size: 50 } } })),
  });
  const refresh = () => queries.invalidateQueries({ queryKey: ["admin", "users"] });
  const setRole = useMutation({
    mutationFn: ({ id, role }: { id: string; role: Schemas["Role"] }) =>
      ok(api.PUT("/api/v1/admin/users/{id}", { params: { path: { id } }, body: { role } })),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: string) => ok(api.DELETE("/api/v1/admin/users/{id}", { params: { path: { id } } })),
    onSuccess: refresh,
  });
  return (
    <Section title="Users" loading={users.isPending} error={users.error ?? setRole.error ?? remove.error}>
      <label>
        Search <input type="search" value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <table className="table">
        <caption className="visually-hidden">Users</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {users.data?.items.map((u) => (
            <tr key={u.id}>
              <td>{u.name}</td>
              <td>{u.email}</td>
              <td>
                <select
                  aria-label={`Role of ${u.email}`}
                  value={u.role}
                  disabled={u.id === me?.id}
                  onChange={(e) => setRole.mutate({ id: u.id, role: e.target.value as Schemas["Role"] })}
                >
                  <option value="user">Customer</option>
                  <option value="admin">Admin</option>
                </select>
              </td>
              <td>
                {u.id !== me?.id && (
                  <button
                    type="button"
                    className="link"
                    onClick={() => {
                      if (window.confirm(`Delete ${u.email}? Their orders are kept.`)) remove.mutate(u.id);
                    }}
                  >
                    Delete<span className="visually-hidden"> {u.email}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
