// The agent's day (DIAL-9): done / remaining counters of today's plan, callbacks due, and the
// callback reminders pushed over the CTI socket (DIAL-5). Numbers arrive masked (DIAL-6).
import { Badge, Card, Group, List, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";

import { api } from "../api/client";
import type { Reminder } from "./state";

async function loadPlan() {
  const { data, error } = await api.GET("/api/v1/dialer/my/plan", { params: { query: { limit: 1 } } });
  if (error) throw error;
  return data;
}

export function TodayCard({ reminders, callsTaken }: { reminders: Reminder[]; callsTaken: number }) {
  const { t, i18n } = useTranslation();
  // Refetched after each call the agent takes, and every minute.
  const plan = useQuery({ queryKey: ["dialer", "my-plan", callsTaken], queryFn: loadPlan, refetchInterval: 60_000 });
  return (
    <Card withBorder data-testid="today" aria-label={t("seat.today.title")}>
      <Stack gap="xs">
        <Title order={2} size="h4">
          {t("seat.today.title")}
        </Title>
        <Group gap="lg">
          <Text>
            {t("seat.today.done")}: <b data-testid="plan-done">{plan.data?.done ?? "—"}</b>
          </Text>
          <Text>
            {t("seat.today.remaining")}: <b data-testid="plan-remaining">{plan.data?.remaining ?? "—"}</b>
          </Text>
          <Text>
            {t("seat.today.callbacksDue")}: <b>{plan.data?.callbacksDue ?? "—"}</b>
          </Text>
        </Group>
        {reminders.length > 0 && (
          <List spacing={4} size="sm" data-testid="reminders" aria-live="polite">
            {reminders.map((r) => (
              <List.Item key={r.callbackId}>
                <Badge size="sm" variant="light" mr={6}>
                  {new Date(r.dueAt).toLocaleTimeString(i18n.language, { hour: "2-digit", minute: "2-digit" })}
                </Badge>
                {r.ticketId ? t("tickets.reminder", { subject: r.name }) : t("seat.today.reminder", { name: r.name || r.phone, phone: r.phone })}
                {r.note && ` — ${r.note}`}
              </List.Item>
            ))}
          </List>
        )}
      </Stack>
    </Card>
  );
}
