// Pieces shared by the portal's Tickets screen and the seat console's tickets panel (CRM-5):
// the coloured status chip, the "open a ticket" form, and the API calls behind them.
import { Badge, Select, Stack, Text, Textarea, TextInput } from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, data, type Schemas } from "../../api/client";
import { FormActions, useInvalidatingMutation } from "../../components/crud";
import { ErrorAlert } from "../../components/ErrorAlert";
import { dueToIso, priorityColour, PRIORITIES, statusColour, TYPES, type TicketPriority, type TicketType } from "./model";

export type Ticket = Schemas["TicketOut"];
export type TicketDetail = Schemas["TicketDetailOut"];
export const TICKETS_KEY = ["tickets"] as const;

export function StatusChip({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <Badge color={statusColour(status)} variant="filled" style={{ minWidth: "max-content" }} data-testid="ticket-status" data-status={status}>
      {t(`tickets.statuses.${status as "open"}`, { defaultValue: status })}
    </Badge>
  );
}

export function PriorityChip({ priority }: { priority: string }) {
  const { t } = useTranslation();
  return (
    <Badge color={priorityColour(priority)} variant="light" style={{ minWidth: "max-content" }}>
      {t(`tickets.priorities.${priority as "low"}`, { defaultValue: priority })}
    </Badge>
  );
}

/** Open a ticket. From a call (`callKey`), the number comes from the call on the server: the
 * agent neither types nor sees a masked call's number (DIAL-6). */
export function TicketForm({
  callKey,
  shownPhone,
  onDone,
  onCancel,
}: {
  callKey?: string;
  shownPhone?: string;
  onDone: (ticket: Ticket) => void;
  onCancel?: () => void;
}) {
  const { t } = useTranslation();
  const [subject, setSubject] = useState("");
  const [type, setType] = useState<TicketType>("consult");
  const [priority, setPriority] = useState<TicketPriority>("normal");
  const [description, setDescription] = useState("");
  const [phone, setPhone] = useState("");
  const [due, setDue] = useState("");
  const create = useInvalidatingMutation(
    [TICKETS_KEY],
    () =>
      data(
        api.POST("/api/v1/tickets", {
          body: {
            subject: subject.trim(),
            type,
            priority,
            description,
            phone: callKey ? "" : phone,
            callKey: callKey ?? null,
            dueAt: dueToIso(due),
          },
        }),
      ),
    (ticket) => onDone(ticket),
  );
  const typeOptions = TYPES.map((v) => ({ value: v, label: t(`tickets.types.${v}`) }));
  const priorityOptions = PRIORITIES.map((v) => ({ value: v, label: t(`tickets.priorities.${v}`) }));
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
      data-testid="ticket-form"
    >
      <Stack gap="sm">
        <TextInput label={t("tickets.subject")} required maxLength={200} value={subject} onChange={(e) => setSubject(e.currentTarget.value)} data-testid="ticket-subject" />
        <Select label={t("tickets.type")} data={typeOptions} value={type} onChange={(v) => v && setType(v as TicketType)} allowDeselect={false} data-testid="ticket-type" />
        <Select label={t("tickets.priority")} data={priorityOptions} value={priority} onChange={(v) => v && setPriority(v as TicketPriority)} allowDeselect={false} />
        {callKey ? (
          <Text size="sm">
            {t("tickets.phone")}: <b data-testid="ticket-form-phone">{shownPhone || "—"}</b>{" "}
            <Text span c="dimmed" size="xs">
              ({t("tickets.phoneFromCall")})
            </Text>
          </Text>
        ) : (
          <TextInput label={t("tickets.phone")} value={phone} onChange={(e) => setPhone(e.currentTarget.value)} placeholder="+8613800138000" data-testid="ticket-phone" />
        )}
        <Textarea label={t("tickets.description")} autosize minRows={3} maxLength={10000} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
        <TextInput type="datetime-local" label={t("tickets.due")} value={due} onChange={(e) => setDue(e.currentTarget.value)} data-testid="ticket-due" />
        <ErrorAlert error={create.error} />
        <FormActions onCancel={onCancel} submitLabel={t("common.create")} loading={create.isPending} disabled={!subject.trim()} />
      </Stack>
    </form>
  );
}
