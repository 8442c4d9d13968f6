import { useMutation } from "@tanstack/react-query";
import { cloneElement, useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { fieldError, humanError } from "../lib/errors";
import { useSession } from "../session";
import { Alert } from "../ui/Layout";

/** Where to go after signing in: a path of this app only. */
function useNext(): string {
  const [params] = useSearchParams();
  const next = params.get("next") ?? "/account";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/account";
}

export function SignIn() {
  const session = useSession();
  const navigate = useNavigate();
  const next = useNext();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const signIn = useMutation({
    mutationFn: () => session.signIn(email.trim(), password),
    onSuccess: () => navigate(next),
  });
  const { error, isPending: busy } = signIn;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate();
  };
  return (
    <div className="page narrow">
      <h1>Sign in</h1>
      <form onSubmit={submit} className="stack">
        <div className="field">
          <label htmlFor="email">Email</label>
          <input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input
            id="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        {error ? <Alert>{humanError(error)}</Alert> : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p>
        <Link to="/account/forgot-password">Forgot your password?</Link>
      </p>
      <p>
        New here? <Link to={`/account/register?next=${encodeURIComponent(next)}`}>Create an account</Link>
      </p>
    </div>
  );
}

export function Register() {
  const session = useSession();
  const navigate = useNavigate();
  const next = useNext();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const register = useMutation({
    mutationFn: () => session.register(name.trim(), email.trim(), password),
    onSuccess: () => navigate(next),
  });
  const { error, isPending: busy } = register;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    register.mutate();
  };
  const problem = (field: string) => fieldError(error, field);
  return (
    <div className="page narrow">
      <h1>Create an account</h1>
      <form onSubmit={submit} className="stack">
        <Field id="name" label="Name" error={problem("name")}>
          <input id="name" autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field id="email" label="Email" error={problem("email")}>
          <input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field id="password" label="Password" error={problem("password")} help="At least 8 characters; not a common password.">
          <input
            id="password"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        {error ? <Alert>{humanError(error)}</Alert> : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Creating your account…" : "Create account"}
        </button>
      </form>
      <p>
        Already have an account? <Link to={`/account/sign-in?next=${encodeURIComponent(next)}`}>Sign in</Link>
      </p>
    </div>
  );
}

/** A labelled input with its help or error text tied to it. */
export function Field(props: { id: string; label: string; error?: string; help?: string; children: React.ReactElement }) {
  const describedBy = props.error || props.help ? `${props.id}-note` : undefined;
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <Described describedBy={describedBy} invalid={Boolean(props.error)}>
        {props.children}
      </Described>
      {(props.error || props.help) && (
        <p id={describedBy} className={props.error ? "field-error" : "muted small"}>
          {props.error ?? props.help}
        </p>
      )}
    </div>
  );
}

function Described(props: { describedBy?: string; invalid: boolean; children: React.ReactElement }) {
  return cloneElement(props.children as React.ReactElement<Record<string, unknown>>, {
    "aria-describedby": props.describedBy,
    "aria-invalid": props.invalid || undefined,
  });
}
