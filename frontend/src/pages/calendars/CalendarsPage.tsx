import { Anchor, Button, Table, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router-dom";

import { api, data, type CalendarOut } from "../../api/client";
import { can } from "../../auth/permissions";
import { useSession } from "../../auth/session";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";

const LIMIT = 25;

function weekSummary(c: CalendarOut, weekdays: readonly string[]): string {
  const days = [...new Set(c.weeklyHours.map((w) => w.weekday))].sort();
  return days.map((d) => weekdays[d]).join(", ");
}

export function CalendarsPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const writable = can(me.role, "settings.write");
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [debounced] = useDebouncedValue(search, 250);
  const [offset, setOffset] = useState(0);
  const query = { search: debounced || undefined, limit: LIMIT, offset };
  const list = useQuery({
    queryKey: ["calendars", query],
    queryFn: () => data(api.GET("/api/v1/calendars", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.DELETE("/api/v1/calendars/{calendar_id}", { params: { path: { calendar_id: id } } }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["calendars"] }),
  });
  const weekdays = t("calendars.weekdays", { returnObjects: true }) as unknown as string[];

  return (
    <>
      <PageHeader title={t("calendars.title")}>
        {writable && (
          <Button component={Link} to="/portal/calendars/new">
            {t("calendars.create")}
          </Button>
        )}
      </PageHeader>
      <TextInput label={t("common.search")} value={search} onChange={(e) => { setSearch(e.currentTarget.value); setOffset(0); }} w={260} mb="sm" />
      <ErrorAlert error={list.error ?? remove.error} />
      <Table striped data-testid="calendars-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("common.name")}</Table.Th>
            <Table.Th>{t("calendars.timezone")}</Table.Th>
            <Table.Th>{t("calendars.weekly")}</Table.Th>
            <Table.Th>{t("calendars.holidays")}</Table.Th>
            {writable && <Table.Th>{t("common.actions")}</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.data?.items.map((c) => (
            <Table.Tr key={c.id}>
              <Table.Td>
                <Anchor component={Link} to={`/portal/calendars/${c.id}`}>
                  {c.name}
                </Anchor>
              </Table.Td>
              <Table.Td>{c.timezone}</Table.Td>
              <Table.Td>
                <Text size="sm">{weekSummary(c, weekdays)}</Text>
              </Table.Td>
              <Table.Td>{c.holidays.length}</Table.Td>
              {writable && (
                <Table.Td>
                  <Button size="xs" color="red" variant="light" onClick={() => remove.mutate(c.id)}>
                    {t("common.delete")}
                  </Button>
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
    </>
  );
}
