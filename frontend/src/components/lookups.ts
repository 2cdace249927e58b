// Lists the ACD and dialer screens pick from (users, agents, queues, extensions), cached by
// TanStack Query under keys the screens invalidate after a change.
import { useQuery } from "@tanstack/react-query";

import { api, data, type Schemas } from "../api/client";

/** A stored queue: the API always sends its id (the schema marks it optional). */
export type QueueRow = Omit<Schemas["QueueOut"], "id"> & { id: string };

export const ACD_QUEUES = ["acd", "queues"] as const;
export const ACD_AGENTS = ["acd", "agents"] as const;

export function useUsers(enabled = true) {
  return useQuery({
    queryKey: ["users", "options"],
    queryFn: () => data(api.GET("/api/v1/users", { params: { query: { limit: 200 } } })),
    select: (page) => page.items,
    enabled,
  });
}

/** user id -> display name (falls back to the e-mail). */
export function useUserNames(enabled = true): (id: string) => string {
  const users = useUsers(enabled);
  const names = new Map((users.data ?? []).map((u) => [u.id, u.displayName || u.email]));
  return (id) => names.get(id) ?? id.slice(0, 8);
}

export function useQueues(enabled = true) {
  return useQuery({
    queryKey: ACD_QUEUES,
    queryFn: async () => (await data(api.GET("/api/v1/acd/queues"))) as QueueRow[],
    enabled,
  });
}

export function useAgents(enabled = true) {
  return useQuery({
    queryKey: ACD_AGENTS,
    queryFn: () => data(api.GET("/api/v1/acd/agents")),
    enabled,
  });
}

export function useExtensions(enabled = true) {
  return useQuery({
    queryKey: ["extensions", "options"],
    queryFn: () => data(api.GET("/api/v1/extensions", { params: { query: { limit: 200 } } })),
    enabled,
  });
}
