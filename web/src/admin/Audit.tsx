// The audit log: every admin write that succeeded, who made it and what it
// changed, newest first, narrowed to one kind of subject or one subject.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";
import { api, ok, type Schemas } from "../api/client";
import { humanError } from "../lib/errors";
import { Alert, Loading, Pager } from "../ui/Layout";

type Entry = Schemas["AuditEntry"];

/** The subjects the log names, as the API spells them and as people say them. */
const SUBJECTS: [string, string][] = [
  ["product", "Products"],
  ["variant", "Variants"],
  ["media", "Photos"],
  ["category", "Categories"],
  ["collection", "Collections"],
  ["order", "Orders"],
  ["return", "Returns"],
  ["discount", "Discounts"],
  ["shipping_zone", "Shipping zones"],
  ["tax_rate", "Tax rates"],
  ["user", "Users"],
  ["api_key", "API keys"],
  ["webhook", "Webhooks"],
  ["webhook_delivery", "Webhook deliveries"],
  ["import", "Imports"],
  ["dead_letter", "Dead letters"],
];

const PAGE_SIZE = 50;

/** A field's value, short enough for a table cell. */
function shown(value: unknown): string {
  if (value === undefined || value === null) return "—";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

export function Audit() {
  const [params, setParams] = useSearchParams();
  const subjectType = params.get("subject_type") ?? undefined;
  const subjectId = params.get("subject_id") ?? undefined;
  const page = Math.max(1, Number(params.get("page") ?? "1") || 1);
  const entries = useQuery({
    queryKey: ["admin", "audit", subjectType, subjectId, page],
    queryFn: () =>
      ok(
        api.GET("/api/v1/admin/audit", {
          params: { query: { subject_type: subjectType, subject_id: subjectId, page, page_size: PAGE_SIZE } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const go = (next: Record<string, string | undefined>) => {
    const merged = { subject_type: subjectType, subject_id: subjectId, ...next };
    setParams(Object.fromEntries(Object.entries(merged).filter((pair): pair is [string, string] => !!pair[1])));
  };
  const pages = entries.data ? Math.max(1, Math.ceil(entries.data.total / PAGE_SIZE)) : 1;
  return (
    <div className="page">
      <h1>Audit log</h1>
      <p className="muted">Every change an admin or an API key made, who made it and what it changed.</p>
      <div className="filters-row">
        <div className="field">
          <label htmlFor="audit-subject">About</label>
          <select
            id="audit-subject"
            value={subjectType ?? ""}
            onChange={(e) => go({ subject_type: e.target.value || undefined, subject_id: undefined, page: undefined })}
          >
            <option value="">Everything</option>
            {SUBJECTS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        {subjectId && (
          <p>
            One {subjectType?.replace("_", " ")} only.{" "}
            <button type="button" className="link" onClick={() => go({ subject_id: undefined, page: undefined })}>
              Show all
            </button>
          </p>
        )}
      </div>
      {entries.isPending && <Loading what="Loading the audit log" />}
      {entries.error && <Alert>{humanError(entries.error)}</Alert>}
      {entries.data && (
        <p role="status" className="muted">
          {entries.data.total} {entries.data.total === 1 ? "change" : "changes"}, newest first
        </p>
      )}
      {entries.data && entries.data.items.length > 0 && (
        <table className="table">
          <caption className="visually-hidden">Audit log</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Changed</th>
            </tr>
          </thead>
          <tbody>
            {entries.data.items.map((entry) => (
              <EntryRow key={entry.id} entry={entry} onSubject={go} />
            ))}
          </tbody>
        </table>
      )}
      <Pager page={page} pages={pages} onPage={(next) => go({ page: String(next) })} />
    </div>
  );
}

function EntryRow({ entry, onSubject }: { entry: Entry; onSubject: (next: Record<string, string>) => void }) {
  const before = (entry.before ?? {}) as Record<string, unknown>;
  const after = (entry.after ?? {}) as Record<string, unknown>;
  const verb = entry.method === "DELETE" ? "deleted" : entry.before ? "changed" : "created";
  return (
    <tr>
      <td>{new Date(entry.at).toLocaleString()}</td>
      <td>
        {entry.actor}
        {entry.api_key_id && <span className="muted small"> with an API key</span>}
      </td>
      <td>
        <code className="small">
          {entry.method} {entry.path}
        </code>
        {entry.subject_type && entry.subject_id && (
          <p className="small">
            <button
              type="button"
              className="link"
              onClick={() => onSubject({ subject_type: entry.subject_type ?? "", subject_id: entry.subject_id ?? "" })}
            >
              History of this {entry.subject_type.replace("_", " ")}
            </button>{" "}
            ({verb})
          </p>
        )}
      </td>
      <td>
        {entry.changed.length === 0 ? (
          <span className="muted">Nothing</span>
        ) : (
          <ul className="plain small">
            {entry.changed.map((field) => (
              <li key={field}>
                <strong>{field}</strong>: {shown(before[field])} → {shown(after[field])}
              </li>
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
}

/** A link to the history of one subject. */
export function HistoryLink({ type, id }: { type: string; id: string }) {
  return <Link to={`/admin/audit?subject_type=${type}&subject_id=${id}`}>History of changes</Link>;
}
