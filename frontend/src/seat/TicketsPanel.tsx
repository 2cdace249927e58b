// CRM-5 on the screen pop: the caller's open tickets (same number, or opened on this call) and
// a ticket opened from the call, pre-filled with it. The number comes from the call on the
// server and is shown as the agent may see it (masked for campaign and click-to-call calls).
import { Button, Drawer, Group, Stack, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../api/client";
import { FormModal } from "../components/crud";
import { ErrorAlert } from "../components/ErrorAlert";
import { ticketRef } from "../pages/tickets/model";
import { StatusChip, TICKETS_KEY, TicketForm } from "../pages/tickets/parts";
import { TicketDetailView } from "../pages/tickets/TicketDetail";

export function TicketsPanel({ callId }: { callId: string }) {
  const { t } = useTranslation();
  const [creating, setCreating] = useState(false);
  const [openId, setOpenId] = useState<string | null>(null);
  const tickets = useQuery({
    queryKey: [...TICKETS_KEY, "for-call", callId],
    queryFn: () => data(api.GET("/api/v1/tickets/for-call/{call_key}", { params: { path: { call_key: callId } } })),
    enabled: Boolean(callId),
    retry: false,
  });
  if (!callId) return null;
  const open = tickets.data?.open ?? [];
  return (
    <Stack gap={4} data-testid="pop-tickets">
      <Group justify="space-between">
        <Text fw={600}>{t("tickets.openForCaller")}</Text>
        <Button size="xs" variant="light" onClick={() => setCreating(true)} data-testid="pop-ticket-new">
          {t("tickets.newFromCall")}
        </Button>
      </Group>
      <ErrorAlert error={tickets.error} />
      {tickets.data && open.length === 0 && (
        <Text size="sm" c="dimmed">
          {t("tickets.noneOpen")}
        </Text>
      )}
      {open.map((tk) => (
        <Group key={tk.id} gap="xs" wrap="nowrap" data-testid="pop-ticket">
          <StatusChip status={tk.status} />
          <Text size="sm" ff="monospace">
            {ticketRef(tk.id)}
          </Text>
          <Text size="sm" truncate style={{ flex: 1 }}>
            {tk.subject}
          </Text>
          <Button size="compact-xs" variant="subtle" onClick={() => setOpenId(tk.id)}>
            {t("tickets.details")}
          </Button>
        </Group>
      ))}
      <FormModal opened={creating} onClose={() => setCreating(false)} title={t("tickets.newFromCall")} size="lg">
        <TicketForm
          callKey={callId}
          shownPhone={tickets.data?.phone}
          onCancel={() => setCreating(false)}
          onDone={() => setCreating(false)}
        />
      </FormModal>
      <Drawer opened={Boolean(openId)} onClose={() => setOpenId(null)} position="right" size="lg" title={openId ? ticketRef(openId) : ""} closeButtonProps={{ "aria-label": t("common.close") }}>
        {openId && <TicketDetailView ticketId={openId} />}
      </Drawer>
    </Stack>
  );
}
