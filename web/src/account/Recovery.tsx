import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { api, ok } from "../api/client";
import { fieldError, humanError } from "../lib/errors";
import { Alert } from "../ui/Layout";
import { Field } from "./SignIn";

export function ForgotPassword() {
  const [email, setEmail] = useState("");
  const send = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/auth/password-reset", { body: { email: email.trim() } })),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    send.mutate();
  };
  return (
    <div className="page narrow">
      <h1>Reset your password</h1>
      {send.isSuccess ? (
        <p role="status">If an account uses {email.trim()}, we have emailed it a link to choose a new password.</p>
      ) : (
        <form onSubmit={submit} className="stack">
          <Field id="email" label="Email" error={fieldError(send.error, "email")}>
            <input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </Field>
          {send.error ? <Alert>{humanError(send.error)}</Alert> : null}
          <button type="submit" className="primary" disabled={send.isPending}>
            Email me a link
          </button>
        </form>
      )}
    </div>
  );
}

export function ResetPassword() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const [password, setPassword] = useState("");
  const reset = useMutation({
    mutationFn: () =>
      ok(api.POST("/api/v1/auth/password-reset/confirm", { body: { token, new_password: password } })),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    reset.mutate();
  };
  if (reset.isSuccess) {
    return (
      <div className="page narrow">
        <h1>Password changed</h1>
        <p role="status">
          Your new password is set. <Link to="/account/sign-in">Sign in</Link> with it.
        </p>
      </div>
    );
  }
  return (
    <div className="page narrow">
      <h1>Choose a new password</h1>
      <form onSubmit={submit} className="stack">
        <Field
          id="new-password"
          label="New password"
          error={fieldError(reset.error, "new_password")}
          help="At least 8 characters; not a common password."
        >
          <input
            id="new-password"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        {reset.error ? <Alert>{humanError(reset.error)}</Alert> : null}
        <button type="submit" className="primary" disabled={reset.isPending || !token}>
          Set password
        </button>
      </form>
    </div>
  );
}

export function VerifyEmail() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const queries = useQueryClient();
  const verify = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/auth/verify-email", { body: { token } })),
    // A profile read that started before the link was accepted must not win:
    // drop it, then read the profile again.
    onSuccess: async () => {
      await queries.cancelQueries({ queryKey: ["profile"] });
      await queries.refetchQueries({ queryKey: ["profile"] });
    },
  });
  const { mutate } = verify;
  // A link works once: send it once, even where effects run twice.
  const sent = useRef("");
  useEffect(() => {
    if (token && sent.current !== token) {
      sent.current = token;
      mutate();
    }
  }, [token, mutate]);
  return (
    <div className="page narrow">
      <h1>Email address</h1>
      {verify.isPending && <p role="status">Checking your link…</p>}
      {verify.isSuccess && <p role="status">Thank you: your email address is verified.</p>}
      {verify.error ? <Alert>{humanError(verify.error)}</Alert> : null}
      <p>
        <Link to="/">Back to the shop</Link>
      </p>
    </div>
  );
}
