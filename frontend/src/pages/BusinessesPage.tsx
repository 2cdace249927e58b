import { Badge, Button, Group, Select, Stack, Switch, Table, TextInput, Textarea } from "@mantine/core";
import { useDebouncedValue, useDisclosure } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../api/client";
import { useCalendarOptions } from "../api/lookups";
import { can } from "../auth/permissions";
import { useSession } from "../auth/session";
import { FormActions, FormModal, useInvalidatingMutation } from "../components/crud";
import { ErrorAlert } from "../components/ErrorAlert";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";

const LIMIT = 25;

export function BusinessesPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const writable = can(me.role, "settings.write");
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [debounced] = useDebouncedValue(search, 250);
  const [offset, setOffset] = useState(0);
  const [creating, createModal] = useDisclosure(false);
  const calendars = useCalendarOptions();
  const query = { search: debounced || undefined, limit: LIMIT, offset };
  const list = useQuery({
    queryKey: ["businesses", query],
    queryFn: () => data(api.GET("/api/v1/businesses", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const invalidate = () => queryClient.invalidateQueries({ queryKey: ["businesses"] });
  const update = useMutation({
    mutationFn: (args: { id: string; isActive?: boolean; calendarId?: string }) =>
      data(api.PATCH("/api/v1/businesses/{business_id}", { params: { path: { business_id: args.id } }, body: { isActive: args.isActive, calendarId: args.calendarId } })),
    onSuccess: invalidate,
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.DELETE("/api/v1/businesses/{business_id}", { params: { path: { business_id: id } } }),
    onSuccess: invalidate,
  });
  const calendarName = (id: string | null) => calendars.data?.find((c) => c.value === id)?.label ?? t("common.none");

  return (
    <>
      <PageHeader title={t("businesses.title")}>
        {writable && <Button onClick={createModal.open}>{t("businesses.create")}</Button>}
      </PageHeader>
      <TextInput label={t("common.search")} value={search} onChange={(e) => { setSearch(e.currentTarget.value); setOffset(0); }} w={260} mb="sm" />
      <ErrorAlert error={list.error ?? update.error ?? remove.error} />
      <Table striped data-testid="businesses-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("common.name")}</Table.Th>
            <Table.Th>{t("common.description")}</Table.Th>
            <Table.Th>{t("businesses.calendar")}</Table.Th>
            <Table.Th>{t("users.status")}</Table.Th>
            {writable && <Table.Th>{t("common.actions")}</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.data?.items.map((b) => (
            <Table.Tr key={b.id}>
              <Table.Td>{b.name}</Table.Td>
              <Table.Td>{b.description}</Table.Td>
              <Table.Td>
                {writable ? (
                  <Select
                    size="xs"
                    aria-label={`${t("businesses.calendar")}: ${b.name}`}
                    data={calendars.data ?? []}
                    value={b.calendarId}
                    placeholder={t("common.none")}
                    allowDeselect={false}
                    onChange={(v) => v && update.mutate({ id: b.id, calendarId: v })}
                    w={180}
                  />
                ) : (
                  calendarName(b.calendarId)
                )}
              </Table.Td>
              <Table.Td>
                <Badge color={b.isActive ? "green" : "gray"}>{b.isActive ? t("common.active") : t("common.inactive")}</Badge>
              </Table.Td>
              {writable && (
                <Table.Td>
                  <Group gap="xs">
                    <Button size="xs" variant="default" onClick={() => update.mutate({ id: b.id, isActive: !b.isActive })}>
                      {b.isActive ? t("users.deactivate") : t("users.activate")}
                    </Button>
                    <Button size="xs" color="red" variant="light" onClick={() => remove.mutate(b.id)}>
                      {t("common.delete")}
                    </Button>
                  </Group>
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
      <FormModal opened={creating} onClose={createModal.close} title={t("businesses.create")}>
        <CreateBusiness calendars={calendars.data ?? []} onDone={createModal.close} />
      </FormModal>
    </>
  );
}

function CreateBusiness({ calendars, onDone }: { calendars: { value: string; label: string }[]; onDone: () => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState({ name: "", description: "", calendarId: null as string | null, isActive: true });
  const create = useInvalidatingMutation([["businesses"]], () => data(api.POST("/api/v1/businesses", { body: form })), onDone);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <ErrorAlert error={create.error} />
        <TextInput label={t("common.name")} value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} required data-autofocus />
        <Textarea label={t("common.description")} value={form.description} onChange={(e) => setForm({ ...form, description: e.currentTarget.value })} />
        <Select label={t("businesses.calendar")} data={calendars} value={form.calendarId} onChange={(v) => setForm({ ...form, calendarId: v })} clearable placeholder={t("common.none")} />
        <Switch label={t("common.active")} checked={form.isActive} onChange={(e) => setForm({ ...form, isActive: e.currentTarget.checked })} />
        <FormActions onCancel={onDone} submitLabel={t("common.create")} loading={create.isPending} />
      </Stack>
    </form>
  );
}
