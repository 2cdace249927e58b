// Server state of the IVR builder (TanStack Query keys and fetchers in one place).
import { useQuery } from "@tanstack/react-query";

import { api, data } from "../api/client";

export const ivrKeys = {
  catalogue: ["ivr", "node-types"] as const,
  flows: ["ivr", "flows"] as const,
  flow: (id: string) => ["ivr", "flow", id] as const,
  version: (id: string, n: number | undefined) => ["ivr", "flow", id, "version", n] as const,
};

export function useCatalogue() {
  return useQuery({
    queryKey: ivrKeys.catalogue,
    queryFn: () => data(api.GET("/api/v1/ivr/node-types")),
    staleTime: Infinity,
  });
}

export function useFlows() {
  return useQuery({
    queryKey: ivrKeys.flows,
    queryFn: () => data(api.GET("/api/v1/ivr/flows", { params: { query: { limit: 200 } } })),
  });
}
