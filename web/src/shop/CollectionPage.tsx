import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import { api, ok } from "../api/client";
import { humanError } from "../lib/errors";
import { Alert, Loading } from "../ui/Layout";
import { ProductGrid } from "./ProductCard";

export function CollectionPage() {
  const { handle = "" } = useParams();
  const collection = useQuery({
    queryKey: ["collection", handle],
    queryFn: () =>
      ok(api.GET("/api/v1/collections/{handle}", { params: { path: { handle } } })),
  });
  if (collection.isPending) return <Loading what="Loading the collection" />;
  if (collection.error) return <Alert>{humanError(collection.error)}</Alert>;
  const c = collection.data;
  return (
    <div className="page">
      <h1>{c.title}</h1>
      {c.description && <p className="lead">{c.description}</p>}
      <ProductGrid products={c.products.items} label={c.title} />
    </div>
  );
}
