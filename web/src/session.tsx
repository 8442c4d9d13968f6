// Who is signed in. The access token is kept in memory by the API client;
// on load the refresh cookie (if any) restores the session.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useMemo, type ReactNode } from "react";
import { api, hasSession, ok, restoreSession, setSession, type Schemas, type User } from "./api/client";

type Session = {
  /** The signed-in user; `null` for a visitor. */
  user: User | null;
  /** Whether it is known yet who is there. */
  ready: boolean;
  signIn(email: string, password: string): Promise<User>;
  register(name: string, email: string, password: string): Promise<User>;
  signOut(): Promise<void>;
};

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queries = useQueryClient();
  const profile = useQuery({
    queryKey: ["profile"],
    queryFn: async (): Promise<User | null> => {
      await restoreSession();
      if (!hasSession()) return null;
      return ok(api.GET("/api/v1/users/profile"));
    },
    staleTime: Infinity,
    retry: false,
  });

  const value = useMemo<Session>(() => {
    const started = (body: Schemas["AuthResponse"]) => {
      setSession(body.access_token, body.expires_in);
      queries.setQueryData(["profile"], body.user);
      // The guest cart was merged into the account's.
      void queries.invalidateQueries({ queryKey: ["cart"] });
      return body.user;
    };
    return {
      user: profile.data ?? null,
      ready: !profile.isPending,
      async signIn(email, password) {
        return started(await ok(api.POST("/api/v1/auth/login", { body: { email, password } })));
      },
      async register(name, email, password) {
        return started(await ok(api.POST("/api/v1/users", { body: { name, email, password } })));
      },
      async signOut() {
        try {
          await api.POST("/api/v1/auth/logout");
        } finally {
          setSession(null);
          queries.removeQueries();
          queries.setQueryData(["profile"], null);
        }
      },
    };
  }, [profile.data, profile.isPending, queries]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}
