// The typed API client: paths and shapes come from the OpenAPI document the
// API serves (schema.d.ts is generated from it; `make test` fails when it is
// stale), so a route or field change that breaks the app breaks the build.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Money = Schemas["Money"];
export type Product = Schemas["ProductView"];
export type Variant = Schemas["VariantView"];
export type Cart = Schemas["CartView"];
export type Order = Schemas["OrderView"];
export type User = Schemas["UserView"];
export type AddressFields = Schemas["AddressFields"];

/** An error answer of the API: `{error: {code, message, fields?, reason?}}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: Record<string, string>;
  readonly reason: string | null;

  constructor(status: number, detail: Partial<Schemas["ErrorDetail"]> | undefined) {
    super(detail?.message ?? `the shop answered ${status}`);
    this.status = status;
    this.code = detail?.code ?? "unknown";
    this.fields = (detail?.fields as Record<string, string> | null | undefined) ?? {};
    this.reason = detail?.reason ?? null;
  }
}

// The access token lives in memory only; the refresh token is an HttpOnly
// cookie the browser sends to /api/v1/auth alone.
let accessToken: string | null = null;
let expiresAt = 0;
let refreshing: Promise<boolean> | null = null;

export function setSession(token: string | null, expiresIn = 0): void {
  accessToken = token;
  expiresAt = token ? Date.now() + expiresIn * 1000 : 0;
}

export function hasSession(): boolean {
  return accessToken !== null;
}

/** Trades the refresh cookie for a new access token, one trade at a time. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const response = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        credentials: "same-origin",
      });
      if (!response.ok) {
        setSession(null);
        return false;
      }
      const body = (await response.json()) as Schemas["AccessTokenResponse"];
      setSession(body.access_token, body.expires_in);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

let restored: Promise<boolean> | null = null;

/**
 * The session a reload left behind, restored once per page load from the
 * refresh cookie; every request waits for it, so none goes out as a
 * visitor's by mistake (a cart read before it would be the guest's).
 */
export function restoreSession(): Promise<boolean> {
  restored ??= refreshSession();
  return restored;
}

const auth: Middleware = {
  async onRequest({ request }) {
    // The refresh itself must not wait for a refresh.
    if (request.url.endsWith("/api/v1/auth/refresh")) return request;
    await restoreSession();
    // Renewed a little before it runs out, so no request goes out stale.
    if (accessToken && Date.now() > expiresAt - 30_000) await refreshSession();
    if (accessToken) request.headers.set("Authorization", `Bearer ${accessToken}`);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(auth);

/** The data of an API answer, or its error thrown as an `ApiError`. */
export async function ok<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new ApiError(0, {
      code: "network",
      message: "We could not reach the shop. Check your connection and try again.",
    });
  }
  const { data, error, response } = result;
  if (!response.ok) {
    const detail = (error as { error?: Schemas["ErrorDetail"] } | undefined)?.error;
    throw new ApiError(response.status, detail);
  }
  return data as T;
}
