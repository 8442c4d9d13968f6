// The signed-in customer's own settings: profile, addresses, password,
// sessions, and closing the account.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { api, ok, type AddressFields, type Schemas, type User } from "../api/client";
import { fieldError, humanError } from "../lib/errors";
import { useSession } from "../session";
import { AddressForm } from "../shop/AddressForm";
import { Alert, Loading } from "../ui/Layout";
import { NewAddress } from "./NewAddress";
import { Field } from "./SignIn";

export function Profile({ user }: { user: User }) {
  const queries = useQueryClient();
  const [name, setName] = useState(user.name);
  const [email, setEmail] = useState(user.email);
  const save = useMutation({
    mutationFn: () => ok(api.PUT("/api/v1/users/profile", { body: { name: name.trim(), email: email.trim() } })),
    onSuccess: (updated) => queries.setQueryData(["profile"], updated),
  });
  const resend = useMutation({ mutationFn: () => ok(api.POST("/api/v1/auth/verify-email/resend")) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <section aria-labelledby="profile">
      <h2 id="profile">Profile</h2>
      {!user.email_verified && (
        <p className="notice">
          Your email address is not verified yet.{" "}
          <button type="button" className="link" onClick={() => resend.mutate()} disabled={resend.isPending}>
            Send the link again
          </button>
          {resend.isSuccess && <span role="status"> Sent: check your inbox.</span>}
        </p>
      )}
      <form onSubmit={submit} className="stack">
        <Field id="profile-name" label="Name" error={fieldError(save.error, "name")}>
          <input id="profile-name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field id="profile-email" label="Email" error={fieldError(save.error, "email")}>
          <input id="profile-email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        {save.error ? <Alert>{humanError(save.error)}</Alert> : null}
        {save.isSuccess && <p role="status">Saved.</p>}
        <button type="submit" disabled={save.isPending}>
          Save profile
        </button>
      </form>
    </section>
  );
}

export function Addresses() {
  const queries = useQueryClient();
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState<AddressFields | null>(null);
  const book = useQuery({ queryKey: ["addresses"], queryFn: () => ok(api.GET("/api/v1/addresses")) });
  const refresh = () => queries.invalidateQueries({ queryKey: ["addresses"] });
  const update = useMutation({
    mutationFn: ({ id, address }: { id: string; address: AddressFields }) =>
      ok(api.PUT("/api/v1/addresses/{id}", { params: { path: { id } }, body: address })),
    onSuccess: () => {
      setEditing(null);
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => ok(api.DELETE("/api/v1/addresses/{id}", { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const makeDefault = useMutation({
    mutationFn: (id: string) =>
      ok(api.PUT("/api/v1/addresses/{id}/set-default", { params: { path: { id } }, body: { type: "both" } })),
    onSuccess: refresh,
  });
  const addresses = book.data?.items ?? [];
  const error = update.error ?? remove.error ?? makeDefault.error;
  return (
    <section aria-labelledby="addresses">
      <h2 id="addresses">Addresses</h2>
      {book.isPending && <Loading what="Loading your addresses" />}
      {error ? <Alert>{humanError(error)}</Alert> : null}
      <ul className="plain cards">
        {addresses.map((a) => (
          <li key={a.id} className="address-card">
            {editing === a.id && draft ? (
              <>
                <AddressForm legend="Edit address" value={draft} onChange={setDraft} prefix="" error={update.error} />
                <button type="button" onClick={() => update.mutate({ id: a.id, address: draft })} disabled={update.isPending}>
                  Save address
                </button>{" "}
                <button type="button" className="link" onClick={() => setEditing(null)}>
                  Cancel
                </button>
              </>
            ) : (
              <>
                <address>
                  <strong>{a.name}</strong>
                  <br />
                  {a.street1}
                  {a.street2 && <>, {a.street2}</>}
                  <br />
                  {a.city} {a.state} {a.postal_code}, {a.country}
                </address>
                {(a.is_default_shipping || a.is_default_billing) && <p className="muted small">Default</p>}
                <div className="actions">
                  <button
                    type="button"
                    className="link"
                    onClick={() => {
                      setDraft({ ...a, country: a.country as AddressFields["country"] });
                      setEditing(a.id);
                    }}
                  >
                    Edit<span className="visually-hidden"> the address of {a.name}, {a.street1}</span>
                  </button>
                  {!(a.is_default_shipping && a.is_default_billing) && (
                    <button type="button" className="link" onClick={() => makeDefault.mutate(a.id)}>
                      Make default<span className="visually-hidden">: {a.street1}</span>
                    </button>
                  )}
                  <button type="button" className="link" onClick={() => remove.mutate(a.id)}>
                    Delete<span className="visually-hidden"> the address {a.street1}</span>
                  </button>
                </div>
              </>
            )}
          </li>
        ))}
      </ul>
      <NewAddress first={addresses.length === 0 && !book.isPending} />
    </section>
  );
}

export function Security() {
  const { signOut } = useSession();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [closing, setClosing] = useState("");
  const change = useMutation({
    mutationFn: () =>
      ok(api.PUT("/api/v1/users/password", { body: { current_password: current, new_password: next } })),
    onSuccess: () => {
      setCurrent("");
      setNext("");
      void queries.invalidateQueries({ queryKey: ["sessions"] });
    },
  });
  const sessions = useQuery({
    queryKey: ["sessions"],
    queryFn: () => ok(api.GET("/api/v1/auth/sessions")),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => ok(api.DELETE("/api/v1/auth/sessions/{id}", { params: { path: { id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ["sessions"] }),
  });
  const close = useMutation({
    mutationFn: () => ok(api.DELETE("/api/v1/users/account", { body: { password: closing } })),
    onSuccess: async () => {
      await signOut();
      navigate("/", { replace: true });
    },
  });
  return (
    <>
      <section aria-labelledby="password">
        <h2 id="password">Password</h2>
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            change.mutate();
          }}
        >
          <Field id="current-password" label="Current password" error={fieldError(change.error, "current_password")}>
            <input
              id="current-password"
              type="password"
              autoComplete="current-password"
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          </Field>
          <Field
            id="new-password"
            label="New password"
            error={fieldError(change.error, "new_password")}
            help="At least 8 characters; not a common password. Other devices are signed out."
          >
            <input id="new-password" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
          </Field>
          {change.error ? <Alert>{humanError(change.error)}</Alert> : null}
          {change.isSuccess && <p role="status">Password changed. Your other devices are signed out.</p>}
          <button type="submit" disabled={change.isPending}>
            Change password
          </button>
        </form>
      </section>
      <section aria-labelledby="sessions">
        <h2 id="sessions">Where you are signed in</h2>
        {sessions.isPending && <Loading what="Loading your sessions" />}
        {revoke.error ? <Alert>{humanError(revoke.error)}</Alert> : null}
        <ul className="plain">
          {sessions.data?.items.map((s: Schemas["SessionView"]) => (
            <li key={s.id}>
              {s.user_agent ? describeAgent(s.user_agent) : "Unknown device"} · last used{" "}
              {new Date(s.last_used_at).toLocaleString()}
              {s.current ? (
                <strong> (this device)</strong>
              ) : (
                <>
                  {" "}
                  <button type="button" className="link" onClick={() => revoke.mutate(s.id)}>
                    Sign out<span className="visually-hidden"> the session last used {new Date(s.last_used_at).toLocaleString()}</span>
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="close">
        <h2 id="close">Close your account</h2>
        <p>Your orders are kept for the shop's records, no longer linked to you. This cannot be undone.</p>
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            if (window.confirm("Close your account for good?")) close.mutate();
          }}
        >
          <Field id="closing-password" label="Your password" error={fieldError(close.error, "password")}>
            <input
              id="closing-password"
              type="password"
              autoComplete="current-password"
              value={closing}
              onChange={(e) => setClosing(e.target.value)}
            />
          </Field>
          {close.error ? <Alert>{humanError(close.error)}</Alert> : null}
          <button type="submit" className="danger" disabled={close.isPending || !closing}>
            Close my account
          </button>
        </form>
      </section>
    </>
  );
}

/** "Chrome on Linux" from a user agent, roughly. */
export function describeAgent(agent: string): string {
  const browser = /Edg\//.test(agent)
    ? "Edge"
    : /Firefox\//.test(agent)
      ? "Firefox"
      : /Chrome\//.test(agent)
        ? "Chrome"
        : /Safari\//.test(agent)
          ? "Safari"
          : "A browser";
  const system = /Android/.test(agent)
    ? "Android"
    : /iPhone|iPad/.test(agent)
      ? "iOS"
      : /Windows/.test(agent)
        ? "Windows"
        : /Mac OS X/.test(agent)
          ? "macOS"
          : /Linux/.test(agent)
            ? "Linux"
            : "";
  return system ? `${browser} on ${system}` : browser;
}
