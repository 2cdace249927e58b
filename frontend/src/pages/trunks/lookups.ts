// The tenant's trunks as options for other screens (a campaign's trunk), cached by TanStack
// Query under ["trunks", ...] so the Trunks screen's changes refresh them.
import { useQuery } from "@tanstack/react-query";

import { api, data } from "../../api/client";

export const TRUNKS = ["trunks"] as const;

export function useTrunkOptions(enabled = true) {
  return useQuery({
    queryKey: [...TRUNKS, "options"],
    queryFn: () => data(api.GET("/api/v1/trunks", { params: { query: { limit: 200 } } })),
    select: (page) =>
      page.items.map((t) => ({ value: t.id, label: t.isActive ? t.name : `${t.name} (−)`, maxChannels: t.maxChannels })),
    enabled,
  });
}
