import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import { humanError } from "../lib/errors";
import { Alert, Loading } from "../ui/Layout";

export function DeadLetters() {
  const queries = useQueryClient();
  const letters = useQuery({
    queryKey: ["admin", "dead-letters"],
    queryFn: () => ok(api.GET("/api/v1/admin/dead-letters", { params: { query: { page_size: 100 } } })),
  });
  const retry = useMutation({
    mutationFn: (id: string) =>
      ok(api.POST("/api/v1/admin/dead-letters/{id}/retry", { params: { path: { id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ["admin", "dead-letters"] }),
  });
  return (
    <div className="page">
      <h1>Dead letters</h1>
      <p className="muted">Tasks that failed every retry. Retrying sends one again as new.</p>
      {letters.isPending && <Loading what="Loading dead letters" />}
      {letters.error && <Alert>{humanError(letters.error)}</Alert>}
      {retry.error && <Alert>{humanError(retry.error)}</Alert>}
      {letters.data?.items.length === 0 && <p>None: every task was delivered.</p>}
      {(letters.data?.items.length ?? 0) > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Attempts</th>
              <th scope="col">Failed at</th>
              <th scope="col">Last error</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {letters.data?.items.map((letter) => (
              <tr key={letter.id}>
                <td>{letter.kind}</td>
                <td>{letter.attempts}</td>
                <td>{new Date(letter.dead_at).toLocaleString()}</td>
                <td className="small">{letter.last_error ?? ""}</td>
                <td>
                  <button type="button" onClick={() => retry.mutate(letter.id)} disabled={retry.isPending}>
                    Retry
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
