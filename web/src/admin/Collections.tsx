import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, ok, type Schemas } from "../api/client";
import { fieldError, humanError } from "../lib/errors";
import { useDebounced } from "../shop/SearchBox";
import { Alert, Loading } from "../ui/Layout";

export function Collections() {
  const queries = useQueryClient();
  const collections = useQuery({
    queryKey: ["admin", "collections"],
    queryFn: () => ok(api.GET("/api/v1/collections", { params: { query: { page_size: 100 } } })),
  });
  const refresh = () => {
    void queries.invalidateQueries({ queryKey: ["admin", "collections"] });
    void queries.invalidateQueries({ queryKey: ["collections"] });
  };
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const create = useMutation({
    mutationFn: () =>
      ok(api.POST("/api/v1/admin/collections", { body: { title: title.trim(), description: description.trim() || null } })),
    onSuccess: () => {
      setTitle("");
      setDescription("");
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => ok(api.DELETE("/api/v1/admin/collections/{id}", { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <div className="page">
      <h1>Collections</h1>
      {collections.isPending && <Loading what="Loading collections" />}
      {collections.error && <Alert>{humanError(collections.error)}</Alert>}
      {remove.error ? <Alert>{humanError(remove.error)}</Alert> : null}
      {collections.data?.items.map((c) => (
        <CollectionEditor key={c.id} collection={c} onDelete={() => remove.mutate(c.id)} onChange={refresh} />
      ))}
      <form onSubmit={submit} className="editor">
        <h2>New collection</h2>
        <div className="field">
          <label htmlFor="collection-title">Title</label>
          <input id="collection-title" value={title} onChange={(e) => setTitle(e.target.value)} />
          {fieldError(create.error, "title") && <p className="field-error">{fieldError(create.error, "title")}</p>}
        </div>
        <div className="field">
          <label htmlFor="collection-description">Description (optional)</label>
          <textarea id="collection-description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
        {create.error ? <Alert>{humanError(create.error)}</Alert> : null}
        <button type="submit" className="primary" disabled={create.isPending}>
          Create collection
        </button>
      </form>
    </div>
  );
}

function CollectionEditor(props: { collection: Schemas["CollectionSummary"]; onDelete(): void; onChange(): void }) {
  const { collection } = props;
  const queries = useQueryClient();
  const [text, setText] = useState("");
  const q = useDebounced(text.trim(), 250);
  const detail = useQuery({
    queryKey: ["admin", "collection", collection.handle],
    queryFn: () =>
      ok(api.GET("/api/v1/collections/{handle}", { params: { path: { handle: collection.handle }, query: { page_size: 100 } } })),
  });
  const found = useQuery({
    queryKey: ["admin", "collection-search", q],
    enabled: q.length >= 2,
    queryFn: () => ok(api.GET("/api/v1/products", { params: { query: { q, page_size: 5 } } })),
  });
  const products = detail.data?.products.items ?? [];
  const save = useMutation({
    mutationFn: (product_ids: string[]) =>
      ok(api.PUT("/api/v1/admin/collections/{id}", { params: { path: { id: collection.id } }, body: { product_ids } })),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ["admin", "collection", collection.handle] });
      props.onChange();
    },
  });
  const ids = products.map((p) => p.id);
  return (
    <section className="address-card collection" aria-label={`Collection ${collection.title}`}>
      <h2>{collection.title}</h2>
      <p className="muted small">/collections/{collection.handle}</p>
      {detail.isPending && <Loading what="Loading its products" />}
      {save.error ? <Alert>{humanError(save.error)}</Alert> : null}
      <ul className="plain">
        {products.map((p) => (
          <li key={p.id}>
            {p.name}{" "}
            <button type="button" className="link" onClick={() => save.mutate(ids.filter((id) => id !== p.id))}>
              Remove<span className="visually-hidden"> {p.name} from {collection.title}</span>
            </button>
          </li>
        ))}
      </ul>
      <div className="field">
        <label htmlFor={`add-${collection.id}`}>Add a product to {collection.title}</label>
        <input id={`add-${collection.id}`} type="search" value={text} onChange={(e) => setText(e.target.value)} />
      </div>
      <ul className="plain">
        {(q.length >= 2 ? (found.data?.items ?? []) : [])
          .filter((p) => !ids.includes(p.id))
          .map((p) => (
            <li key={p.id}>
              {p.name}{" "}
              <button
                type="button"
                className="link"
                onClick={() => {
                  save.mutate([...ids, p.id]);
                  setText("");
                }}
              >
                Add<span className="visually-hidden"> {p.name} to {collection.title}</span>
              </button>
            </li>
          ))}
      </ul>
      <button
        type="button"
        className="link"
        onClick={() => {
          if (window.confirm(`Delete the collection ${collection.title}? Its products stay.`)) props.onDelete();
        }}
      >
        Delete<span className="visually-hidden"> the collection {collection.title}</span>
      </button>
    </section>
  );
}
