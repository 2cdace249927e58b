// SEAT-6/SEAT-8 screen pop: the caller's customer record (CRM-1), what the CTI socket's `offer`
// says about the call, the caller's previous calls (with the agent's own recordings playable),
// tickets. Numbers are shown as the server sends them (masked for roles that may not see them).
import { Card, List, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";

import { api } from "../api/client";

import { CustomerPanel } from "./CustomerPanel";
import { PreviousCallsTable } from "./PreviousCallsTable";
import type { ScreenPop } from "./state";
import { TicketsPanel } from "./TicketsPanel";

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

export function ScreenPopCard({ pop }: { pop: ScreenPop | null }) {
  const { t } = useTranslation();
  return (
    <Card withBorder data-testid="screen-pop">
      <Title order={2} size="h3" mb="sm">
        {t("seat.pop.title")}
      </Title>
      {!pop ? (
        <Text c="dimmed">{t("seat.pop.none")}</Text>
      ) : (
        <Stack gap="xs">
          <CustomerPanel key={pop.callId} callId={pop.callId} />
          <Text>
            {t("seat.pop.caller")}: <b data-testid="pop-caller">{pop.caller.number}</b>
          </Text>
          {pop.caller.calledNumber && (
            <Text>
              {t("seat.pop.called")}: {pop.caller.calledNumber}
            </Text>
          )}
          <Text>
            {t("seat.pop.queue")}: <span data-testid="pop-queue">{pop.queue.name || pop.queue.id}</span>
          </Text>
          {pop.priority > 0 && (
            <Text>
              {t("seat.pop.priority")}: {pop.priority}
            </Text>
          )}
          {pop.ivr.path.length > 0 && (
            <>
              <Text fw={600}>{t("seat.pop.ivrPath")}</Text>
              <List size="sm">
                {pop.ivr.path.map((step, i) => (
                  <List.Item key={i}>{cell(step)}</List.Item>
                ))}
              </List>
            </>
          )}
          {Object.keys(pop.ivr.variables).length > 0 && (
            <Text size="sm">
              {t("seat.pop.ivrVars")}:{" "}
              {Object.entries(pop.ivr.variables)
                .map(([k, v]) => `${k}=${cell(v)}`)
                .join(", ")}
            </Text>
          )}
          {pop.ivr.dtmf && (
            <Text size="sm">
              {t("seat.pop.dtmf")}: {pop.ivr.dtmf}
            </Text>
          )}
          {pop.lead?.id && <LeadPop leadId={pop.lead.id} />}
          <TicketsPanel callId={pop.callId} />
          {pop.previousCalls.length === 0 ? (
            <Text size="sm" c="dimmed">
              {t("seat.pop.previous")}: {t("seat.pop.noPrevious")}
            </Text>
          ) : (
            <PreviousCallsTable key={pop.callId} calls={pop.previousCalls} />
          )}
        </Stack>
      )}
    </Card>
  );
}

/** DIAL-7: the campaign's record of the person on the line (masked number) and the call script. */
function LeadPop({ leadId }: { leadId: string }) {
  const { t } = useTranslation();
  const lead = useQuery({
    queryKey: ["dialer", "lead-pop", leadId],
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/dialer/leads/{lead_id}", { params: { path: { lead_id: leadId } } });
      if (error) throw error;
      return data;
    },
  });
  if (!lead.data) return null;
  const { lead: record, campaignName, script } = lead.data;
  return (
    <Stack gap={4} data-testid="pop-lead">
      <Text>
        {t("seat.pop.campaign")}: <b>{campaignName}</b> · {record.name || "—"} ({record.phone})
      </Text>
      {Object.entries(record.fields).length > 0 && (
        <Text size="sm">
          {Object.entries(record.fields)
            .map(([k, v]) => `${k}: ${cell(v)}`)
            .join(" · ")}
        </Text>
      )}
      {script && (
        <Text size="sm" style={{ whiteSpace: "pre-wrap" }} data-testid="pop-script">
          <b>{t("seat.pop.script")}:</b> {script}
        </Text>
      )}
    </Stack>
  );
}
