// Returns customers asked for: the shop approves or rejects them, marks
// their units received (back into stock or not) and refunds them.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, ok, type Schemas } from "../api/client";
import { humanError } from "../lib/errors";
import { RETURN_STATUS_NAMES } from "../shop/returns";
import { Alert, Loading } from "../ui/Layout";

type ReturnStatus = Schemas["ReturnStatus"];
type ReturnView = Schemas["ReturnView"];
const STATUSES = Object.keys(RETURN_STATUS_NAMES) as ReturnStatus[];

type Action =
  | { kind: "approve"; body: Schemas["ApproveRequest"] }
  | { kind: "reject"; body: Schemas["RejectRequest"] }
  | { kind: "receive"; body: Schemas["ReceiveRequest"] }
  | { kind: "refund"; body: Schemas["ReturnRefundRequest"] };

function perform(id: string, action: Action) {
  const params = { path: { id } };
  switch (action.kind) {
    case "approve":
      return ok(api.POST("/api/v1/admin/returns/{id}/approve", { params, body: action.body }));
    case "reject":
      return ok(api.POST("/api/v1/admin/returns/{id}/reject", { params, body: action.body }));
    case "receive":
      return ok(api.POST("/api/v1/admin/returns/{id}/receive", { params, body: action.body }));
    case "refund":
      return ok(api.POST("/api/v1/admin/returns/{id}/refund", { params, body: action.body }));
  }
}

export function Returns() {
  const [params, setParams] = useSearchParams();
  const status = (params.get("status") as ReturnStatus | null) ?? undefined;
  const returns = useQuery({
    queryKey: ["admin", "returns", status],
    queryFn: () => ok(api.GET("/api/v1/admin/returns", { params: { query: { status, page_size: 100 } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <div className="page">
      <h1>Returns</h1>
      <div className="filters-row">
        <div className="field">
          <label htmlFor="filter-return-status">Status</label>
          <select
            id="filter-return-status"
            value={status ?? ""}
            onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {})}
          >
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {RETURN_STATUS_NAMES[s]}
              </option>
            ))}
          </select>
        </div>
      </div>
      {returns.isPending && <Loading what="Loading returns" />}
      {returns.error && <Alert>{humanError(returns.error)}</Alert>}
      {returns.data && (
        <p role="status" className="muted">
          {returns.data.total} {returns.data.total === 1 ? "return" : "returns"}, newest first
        </p>
      )}
      {returns.data && returns.data.items.length > 0 && (
        <table className="table">
          <caption className="visually-hidden">Returns</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Items</th>
              <th scope="col">Status</th>
              <th scope="col">Asked</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {returns.data.items.map((r) => (
              <ReturnRow key={r.id} ret={r} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** One return, with what the shop may do next. */
function ReturnRow({ ret }: { ret: ReturnView }) {
  const queries = useQueryClient();
  const [returnShipping, setReturnShipping] = useState(false);
  const [note, setNote] = useState("");
  const [restock, setRestock] = useState<Record<string, boolean>>({});
  const act = useMutation({
    mutationFn: (action: Action) => perform(ret.id, action),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ["admin", "returns"] });
      void queries.invalidateQueries({ queryKey: ["admin", "order", ret.order_id] });
    },
  });
  const number = ret.order_number;
  // Which return a control acts on, for screen readers.
  const which = `the return of order ${number}`;
  return (
    <tr>
      <th scope="row">
        <Link to={`/admin/orders/${ret.order_id}`}>{number}</Link>
      </th>
      <td>
        <ul className="plain">
          {ret.items.map((line) => (
            <li key={line.order_item_id}>
              {line.quantity} × {line.name} <span className="muted small">— {line.reason}</span>
              {line.restocked === true && <span className="small"> · back in stock</span>}
              {line.restocked === false && <span className="small"> · kept aside</span>}
            </li>
          ))}
        </ul>
        {ret.return_shipping && <p className="muted small">The shop pays the return shipping.</p>}
        {ret.note && <p className="muted small">Note: {ret.note}</p>}
      </td>
      <td>{RETURN_STATUS_NAMES[ret.status]}</td>
      <td>{new Date(ret.created_at).toLocaleString()}</td>
      <td>
        {ret.status === "requested" && (
          <>
            <form
              className="stack"
              onSubmit={(e) => {
                e.preventDefault();
                act.mutate({ kind: "approve", body: { return_shipping: returnShipping } });
              }}
            >
              <label className="check">
                <input type="checkbox" checked={returnShipping} onChange={(e) => setReturnShipping(e.target.checked)} />
                <span>
                  Shop pays return shipping<span className="visually-hidden"> for {which}</span>
                </span>
              </label>
              <button type="submit" disabled={act.isPending}>
                Approve<span className="visually-hidden"> {which}</span>
              </button>
            </form>
            <form
              className="stack"
              onSubmit={(e) => {
                e.preventDefault();
                act.mutate({ kind: "reject", body: { note: note.trim() } });
              }}
            >
              <div className="field">
                <label htmlFor={`reject-note-${ret.id}`}>
                  Why not, for the customer<span className="visually-hidden"> ({which})</span>
                </label>
                <input id={`reject-note-${ret.id}`} required value={note} onChange={(e) => setNote(e.target.value)} />
              </div>
              <button type="submit" disabled={act.isPending}>
                Reject<span className="visually-hidden"> {which}</span>
              </button>
            </form>
          </>
        )}
        {ret.status === "approved" && (
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              const items = ret.items.map((line) => ({
                order_item_id: line.order_item_id,
                restock: restock[line.order_item_id] ?? true,
              }));
              act.mutate({ kind: "receive", body: { items } });
            }}
          >
            {ret.items.map((line) => (
              <label key={line.order_item_id} className="check">
                <input
                  type="checkbox"
                  checked={restock[line.order_item_id] ?? true}
                  onChange={(e) => setRestock((now) => ({ ...now, [line.order_item_id]: e.target.checked }))}
                />
                <span>
                  Back into stock: {line.name}
                  <span className="visually-hidden"> ({which})</span>
                </span>
              </label>
            ))}
            <button type="submit" disabled={act.isPending}>
              Receive<span className="visually-hidden"> {which}</span>
            </button>
          </form>
        )}
        {ret.status === "received" && (
          <button
            type="button"
            disabled={act.isPending}
            onClick={() => {
              if (window.confirm(`Refund the returned items of order ${number}? Their share of the payment is given back.`)) {
                act.mutate({ kind: "refund", body: {} });
              }
            }}
          >
            Refund<span className="visually-hidden"> {which}</span>
          </button>
        )}
        {act.error ? <Alert>{humanError(act.error)}</Alert> : null}
      </td>
    </tr>
  );
}
