// CRM-5: the tenant's tickets — filters (status, type, priority, assignee, number, call,
// subject), coloured status chips, a drawer with the ticket's history and actions, and a form
// to open one. Numbers from masked calls arrive masked for agents and QA (DIAL-6).
import { Badge, Button, Drawer, Group, MultiSelect, Select, Table, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { can } from "../../auth/permissions";
import { useSession } from "../../auth/session";
import { FormModal } from "../../components/crud";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { EMPTY_FILTERS, isOverdue, PRIORITIES, STATUSES, type TicketFilterState, ticketRef, toQuery, TYPES } from "./model";
import { PriorityChip, StatusChip, TICKETS_KEY } from "./parts";
import { TicketForm } from "./parts";
import { TicketDetailView } from "./TicketDetail";

const LIMIT = 50;

function Filters({ value, onChange }: { value: TicketFilterState; onChange: (f: TicketFilterState) => void }) {
  const { t } = useTranslation();
  const { me } = useSession();
  const users = useQuery({
    queryKey: ["users", "ticket-filter"],
    queryFn: () => data(api.GET("/api/v1/users", { params: { query: { limit: 200 } } })),
    select: (page) => page.items.map((u) => ({ value: u.id, label: u.displayName || u.email })),
    enabled: can(me.role, "users.read"),
  });
  const set = (patch: Partial<TicketFilterState>) => onChange({ ...value, ...patch });
  const assignees = [
    { value: "me", label: t("tickets.me") },
    { value: "none", label: t("tickets.unassigned") },
    ...(users.data ?? []),
  ];
  return (
    <Group gap="sm" align="flex-end" mb="md" data-testid="ticket-filters">
      <MultiSelect
        label={t("tickets.status")}
        data={STATUSES.map((s) => ({ value: s, label: t(`tickets.statuses.${s}`) }))}
        value={value.statuses}
        onChange={(v) => set({ statuses: v as TicketFilterState["statuses"] })}
        clearable
        w={260}
        data-testid="filter-status"
      />
      <Select label={t("tickets.type")} data={TYPES.map((v) => ({ value: v, label: t(`tickets.types.${v}`) }))} value={value.type || null} onChange={(v) => set({ type: v ?? "" })} clearable w={150} />
      <Select label={t("tickets.priority")} data={PRIORITIES.map((v) => ({ value: v, label: t(`tickets.priorities.${v}`) }))} value={value.priority || null} onChange={(v) => set({ priority: v ?? "" })} clearable w={130} />
      <Select label={t("tickets.assignee")} data={assignees} value={value.assignee || null} onChange={(v) => set({ assignee: v ?? "" })} clearable searchable w={180} placeholder={t("tickets.anyone")} />
      <TextInput label={t("tickets.phone")} value={value.phone} onChange={(e) => set({ phone: e.currentTarget.value })} w={160} />
      <TextInput label={t("tickets.call")} value={value.callKey} onChange={(e) => set({ callKey: e.currentTarget.value })} w={160} />
      <TextInput label={t("tickets.search")} value={value.q} onChange={(e) => set({ q: e.currentTarget.value })} w={180} data-testid="filter-q" />
    </Group>
  );
}

export function TicketsPage() {
  const { t, i18n } = useTranslation();
  const { me } = useSession();
  const [filters, setFilters] = useState<TicketFilterState>(EMPTY_FILTERS);
  const [offset, setOffset] = useState(0);
  const [openId, setOpenId] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [debounced] = useDebouncedValue(filters, 300);
  const query = { ...toQuery(debounced), limit: LIMIT, offset };
  const list = useQuery({
    queryKey: [...TICKETS_KEY, "list", query],
    queryFn: () => data(api.GET("/api/v1/tickets", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const change = (next: TicketFilterState) => {
    setFilters(next);
    setOffset(0);
  };
  return (
    <>
      <PageHeader title={t("tickets.title")}>
        {can(me.role, "tickets.work") && (
          <Button onClick={() => setCreating(true)} data-testid="ticket-new">
            {t("tickets.new")}
          </Button>
        )}
      </PageHeader>
      <Filters value={filters} onChange={change} />
      <ErrorAlert error={list.error} />
      <Table.ScrollContainer minWidth={900}>
        <Table striped highlightOnHover data-testid="tickets-table" fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("tickets.ref")}</Table.Th>
              <Table.Th>{t("tickets.status")}</Table.Th>
              <Table.Th>{t("tickets.subject")}</Table.Th>
              <Table.Th>{t("tickets.type")}</Table.Th>
              <Table.Th>{t("tickets.priority")}</Table.Th>
              <Table.Th>{t("tickets.phone")}</Table.Th>
              <Table.Th>{t("tickets.assignee")}</Table.Th>
              <Table.Th>{t("tickets.due")}</Table.Th>
              <Table.Th>{t("tickets.created")}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.items.map((tk) => (
              <Table.Tr key={tk.id} data-testid="ticket-row" data-ticket-id={tk.id}>
                <Table.Td ff="monospace">{ticketRef(tk.id)}</Table.Td>
                <Table.Td>
                  <StatusChip status={tk.status} />
                </Table.Td>
                <Table.Td>{tk.subject}</Table.Td>
                <Table.Td>{t(`tickets.types.${tk.type as "consult"}`, { defaultValue: tk.type })}</Table.Td>
                <Table.Td>
                  <PriorityChip priority={tk.priority} />
                </Table.Td>
                <Table.Td ff="monospace">{tk.phone || "—"}</Table.Td>
                <Table.Td>{tk.assigneeName ?? "—"}</Table.Td>
                <Table.Td>
                  {tk.dueAt ? new Date(tk.dueAt).toLocaleString(i18n.language) : "—"}{" "}
                  {isOverdue(tk) && (
                    <Badge color="red" size="xs">
                      {t("tickets.overdue")}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>{new Date(tk.createdAt).toLocaleString(i18n.language)}</Table.Td>
                <Table.Td>
                  <Button size="xs" variant="light" onClick={() => setOpenId(tk.id)} data-testid="ticket-open">
                    {t("tickets.details")}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {list.data && list.data.total === 0 && (
        <Text c="dimmed" mt="sm">
          {t("tickets.none")}
        </Text>
      )}
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
      <Drawer opened={Boolean(openId)} onClose={() => setOpenId(null)} position="right" size="lg" title={openId ? ticketRef(openId) : ""} closeButtonProps={{ "aria-label": t("common.close") }}>
        {openId && <TicketDetailView ticketId={openId} />}
      </Drawer>
      <FormModal opened={creating} onClose={() => setCreating(false)} title={t("tickets.new")} size="lg">
        <TicketForm
          onCancel={() => setCreating(false)}
          onDone={(ticket) => {
            setCreating(false);
            setOpenId(ticket.id);
          }}
        />
      </FormModal>
    </>
  );
}
