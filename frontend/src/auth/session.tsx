// Who is signed in. The session itself is the httponly cookie; the portal only asks /auth/me.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, type ReactNode } from "react";
import { Navigate, useLocation, useNavigate } from "react-router-dom";

import { api, data, onProblem, type UserOut } from "../api/client";
import { ProblemError } from "../api/problem";
import { FullPageLoader } from "../components/FullPageLoader";

const TENANT_KEY = "fastline.tenant";
const EXPIRED_KEY = "fastline.passwordExpired";

export const meQueryKey = ["auth", "me"] as const;

export function rememberTenant(slug: string): void {
  localStorage.setItem(TENANT_KEY, slug);
}
export function rememberedTenant(): string {
  return localStorage.getItem(TENANT_KEY) ?? "";
}
export function markPasswordExpired(expired: boolean): void {
  if (expired) sessionStorage.setItem(EXPIRED_KEY, "1");
  else sessionStorage.removeItem(EXPIRED_KEY);
}
export function passwordExpired(): boolean {
  return sessionStorage.getItem(EXPIRED_KEY) === "1";
}

interface Session {
  me: UserOut;
  tenant: string;
}
const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside RequireSession");
  return session;
}

async function fetchMe(): Promise<UserOut | null> {
  try {
    return await data(api.GET("/api/v1/auth/me"));
  } catch (error) {
    if (error instanceof ProblemError && error.status === 401) return null;
    throw error;
  }
}

/** Routes inside need a signed-in user; others are sent to /login and come back after. */
export function RequireSession({ children }: { children: ReactNode }) {
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useQuery({ queryKey: meQueryKey, queryFn: fetchMe, staleTime: 60_000 });

  useEffect(
    () =>
      onProblem((error) => {
        if (error.status === 401) queryClient.setQueryData(meQueryKey, null);
        if (error.code === "password_expired") {
          markPasswordExpired(true);
          navigate("/portal/password");
        }
      }),
    [navigate, queryClient],
  );

  if (me.isPending) return <FullPageLoader />;
  if (!me.data) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  if (passwordExpired() && location.pathname !== "/portal/password") {
    return <Navigate to="/portal/password" replace />;
  }
  return (
    <SessionContext.Provider value={{ me: me.data, tenant: rememberedTenant() }}>
      {children}
    </SessionContext.Provider>
  );
}

export function useSignOut(): () => Promise<void> {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return async () => {
    try {
      await api.POST("/api/v1/auth/logout");
    } catch {
      // already signed out (expired session): nothing to close
    }
    markPasswordExpired(false);
    queryClient.clear();
    queryClient.setQueryData(meQueryKey, null);
    navigate("/login", { replace: true });
  };
}
