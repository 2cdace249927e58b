// Small lists other screens pick from (businesses, calendars), cached by TanStack Query.
import { useQuery } from "@tanstack/react-query";

import { api, data } from "./client";

export function useBusinessOptions(enabled = true) {
  return useQuery({
    queryKey: ["businesses", "options"],
    queryFn: () => data(api.GET("/api/v1/businesses", { params: { query: { limit: 200 } } })),
    select: (page) => page.items.map((b) => ({ value: b.id, label: b.name })),
    enabled,
  });
}

export function useCalendarOptions(enabled = true) {
  return useQuery({
    queryKey: ["calendars", "options"],
    queryFn: () => data(api.GET("/api/v1/calendars", { params: { query: { limit: 200 } } })),
    select: (page) => page.items.map((c) => ({ value: c.id, label: c.name })),
    enabled,
  });
}

/** Published IVR flows (a queue's post-call survey, REC-6), by name. */
export function usePublishedFlowOptions(enabled = true) {
  return useQuery({
    queryKey: ["ivr", "flows", "options"],
    queryFn: () => data(api.GET("/api/v1/ivr/flows", { params: { query: { limit: 200 } } })),
    select: (page) =>
      page.items.filter((f) => f.publishedVersionId).map((f) => ({ value: f.id, label: f.name })),
    enabled,
  });
}
