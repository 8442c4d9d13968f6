import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, ok, type Schemas } from "../api/client";
import { fieldError, humanError } from "../lib/errors";
import { formatMoney, parseAmount } from "../lib/money";
import { Alert, Loading } from "../ui/Layout";

type Kind = Schemas["Kind"];

function describe(d: Schemas["DiscountView"]): string {
  if (d.kind === "percentage") return `${d.value / 100}% off`;
  if (d.kind === "fixed") return `${formatMoney({ amount: d.value, currency: "usd" })} off`;
  return "Free shipping";
}

export function Discounts() {
  const queries = useQueryClient();
  const [editing, setEditing] = useState<Schemas["DiscountView"] | null>(null);
  const discounts = useQuery({
    queryKey: ["admin", "discounts"],
    queryFn: () => ok(api.GET("/api/v1/admin/discounts", { params: { query: { page_size: 100 } } })),
  });
  const remove = useMutation({
    mutationFn: (id: string) => ok(api.DELETE("/api/v1/admin/discounts/{id}", { params: { path: { id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ["admin", "discounts"] }),
  });
  return (
    <div className="page">
      <h1>Discounts</h1>
      {discounts.isPending && <Loading what="Loading discounts" />}
      {discounts.error && <Alert>{humanError(discounts.error)}</Alert>}
      {remove.error ? <Alert>{humanError(remove.error)}</Alert> : null}
      {discounts.data && (
        <table className="table">
          <caption className="visually-hidden">Discounts</caption>
          <thead>
            <tr>
              <th scope="col">Code</th>
              <th scope="col">Discount</th>
              <th scope="col">Used</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {discounts.data.items.map((d) => (
              <tr key={d.id}>
                <td>{d.code ?? <em>automatic</em>}</td>
                <td>
                  {describe(d)}
                  {d.description && <span className="muted small"> — {d.description}</span>}
                </td>
                <td>
                  {d.times_used}
                  {d.usage_limit !== null && d.usage_limit !== undefined ? ` of ${d.usage_limit}` : ""}
                </td>
                <td>
                  <button
                    type="button"
                    className="link"
                    aria-label={`Edit ${d.code ?? d.description}`}
                    onClick={() => setEditing(d)}
                  >
                    Edit
                  </button>{" "}
                  <button
                    type="button"
                    className="link"
                    aria-label={`Delete ${d.code ?? d.description}`}
                    onClick={() => {
                      if (window.confirm(`Delete ${d.code ?? "this promotion"}?`)) remove.mutate(d.id);
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <DiscountForm key={editing?.id ?? "new"} existing={editing} onDone={() => setEditing(null)} />
    </div>
  );
}

const decimal = (minor: number | null | undefined) => (minor === null || minor === undefined ? "" : (minor / 100).toString());

/** A new discount, or `existing` changed. */
function DiscountForm({ existing, onDone }: { existing: Schemas["DiscountView"] | null; onDone(): void }) {
  const queries = useQueryClient();
  const [code, setCode] = useState(existing?.code ?? "");
  const [kind, setKind] = useState<Kind>(existing?.kind ?? "percentage");
  const [value, setValue] = useState(existing && existing.kind !== "free_shipping" ? decimal(existing.value) : "");
  const [minimum, setMinimum] = useState(decimal(existing?.min_subtotal));
  const [limit, setLimit] = useState(existing?.usage_limit?.toString() ?? "");
  const [perCustomer, setPerCustomer] = useState(existing?.per_customer_limit?.toString() ?? "");
  const [problem, setProblem] = useState("");
  const create = useMutation({
    mutationFn: (body: Schemas["DiscountRequest"]) =>
      existing
        ? ok(api.PUT("/api/v1/admin/discounts/{id}", { params: { path: { id: existing.id } }, body }))
        : ok(api.POST("/api/v1/admin/discounts", { body })),
    onSuccess: () => {
      setCode("");
      setValue("");
      void queries.invalidateQueries({ queryKey: ["admin", "discounts"] });
      onDone();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const amount = kind === "free_shipping" ? 0 : kind === "percentage" ? Math.round(Number(value) * 100) : parseAmount(value);
    if (amount === null || Number.isNaN(amount)) {
      setProblem(kind === "percentage" ? "Enter the percentage off, like 15." : "Enter the amount off, like 5 or 4.99.");
      return;
    }
    setProblem("");
    create.mutate({
      code: code.trim() || null,
      kind,
      value: amount,
      automatic: code.trim() === "",
      stackable: existing?.stackable ?? false,
      description: existing?.description ?? null,
      starts_at: existing?.starts_at ?? null,
      ends_at: existing?.ends_at ?? null,
      applies_to: existing?.applies_to ?? null,
      min_subtotal: minimum.trim() ? parseAmount(minimum) : null,
      usage_limit: limit.trim() ? Number(limit) : null,
      per_customer_limit: perCustomer.trim() ? Number(perCustomer) : null,
    });
  };
  const error = create.error;
  return (
    <form onSubmit={submit} className="editor">
      <h2>{existing ? `Change ${existing.code ?? "the promotion"}` : "New discount"}</h2>
      <div className="field">
        <label htmlFor="code">Code</label>
        <input id="code" value={code} onChange={(e) => setCode(e.target.value)} aria-describedby="code-note" />
        <p id="code-note" className={fieldError(error, "code") ? "field-error" : "muted small"}>
          {fieldError(error, "code") ?? "Leave empty for an automatic promotion."}
        </p>
      </div>
      <div className="field">
        <label htmlFor="kind">Kind</label>
        <select id="kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
          <option value="percentage">Percentage off</option>
          <option value="fixed">Amount off</option>
          <option value="free_shipping">Free shipping</option>
        </select>
      </div>
      {kind !== "free_shipping" && (
        <div className="field">
          <label htmlFor="value">{kind === "percentage" ? "Percent off" : "Amount off"}</label>
          <input id="value" inputMode="decimal" value={value} onChange={(e) => setValue(e.target.value)} />
          {fieldError(error, "value") && <p className="field-error">{fieldError(error, "value")}</p>}
        </div>
      )}
      <div className="field">
        <label htmlFor="minimum">Minimum subtotal (optional)</label>
        <input id="minimum" inputMode="decimal" value={minimum} onChange={(e) => setMinimum(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="limit">Total uses (optional)</label>
        <input id="limit" type="number" min={1} value={limit} onChange={(e) => setLimit(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="per-customer">Uses per customer (optional)</label>
        <input id="per-customer" type="number" min={1} value={perCustomer} onChange={(e) => setPerCustomer(e.target.value)} />
      </div>
      {problem && <Alert>{problem}</Alert>}
      {error ? <Alert>{humanError(error)}</Alert> : null}
      <button type="submit" className="primary" disabled={create.isPending}>
        {existing ? "Save discount" : "Create discount"}
      </button>
      {existing && (
        <button type="button" className="link" onClick={onDone}>
          Cancel
        </button>
      )}
    </form>
  );
}
