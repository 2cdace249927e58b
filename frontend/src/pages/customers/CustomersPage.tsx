// CRM-1: the tenant's customer records — search (name or company prefix, number digits, tag,
// category), create, edit (tags, custom fields), delete (admins and supervisors). Numbers taken
// from masked calls arrive masked for agents and QA (DIAL-6).
import { Badge, Button, Group, Table, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { can } from "../../auth/permissions";
import { useSession } from "../../auth/session";
import { FormModal, useInvalidatingMutation } from "../../components/crud";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { type CustomerFilters, EMPTY_FILTERS, toQuery } from "./model";
import { type Customer, CUSTOMERS_KEY, CustomerForm } from "./parts";

const LIMIT = 50;

export function CustomersPage() {
  const { t, i18n } = useTranslation();
  const { me } = useSession();
  const [filters, setFilters] = useState<CustomerFilters>(EMPTY_FILTERS);
  const [offset, setOffset] = useState(0);
  const [editing, setEditing] = useState<Customer | "new" | null>(null);
  const [debounced] = useDebouncedValue(filters, 300);
  const query = { ...toQuery(debounced), limit: LIMIT, offset };
  const list = useQuery({
    queryKey: [...CUSTOMERS_KEY, "list", query],
    queryFn: () => data(api.GET("/api/v1/customers", { params: { query } })),
    placeholderData: keepPreviousData,
    retry: false,
  });
  const remove = useInvalidatingMutation([CUSTOMERS_KEY], (id: string) =>
    data(api.DELETE("/api/v1/customers/{customer_id}", { params: { path: { customer_id: id } } })),
  );
  const openExisting = async (id: string) => {
    const found = await data(api.GET("/api/v1/customers/{customer_id}", { params: { path: { customer_id: id } } }));
    setEditing(found);
  };
  const set = (patch: Partial<CustomerFilters>) => {
    setFilters({ ...filters, ...patch });
    setOffset(0);
  };
  const mayWrite = can(me.role, "customers.write");
  const mayDelete = can(me.role, "customers.delete");
  return (
    <>
      <PageHeader title={t("customers.title")}>
        {mayWrite && (
          <Button onClick={() => setEditing("new")} data-testid="customer-new">
            {t("customers.new")}
          </Button>
        )}
      </PageHeader>
      <Group gap="sm" align="flex-end" mb="md" data-testid="customer-filters">
        <TextInput label={t("customers.search")} value={filters.q} onChange={(e) => set({ q: e.currentTarget.value })} w={220} data-testid="customer-filter-q" />
        <TextInput label={t("customers.phoneSearch")} value={filters.phone} onChange={(e) => set({ phone: e.currentTarget.value })} w={160} />
        <TextInput label={t("customers.tags")} value={filters.tag} onChange={(e) => set({ tag: e.currentTarget.value })} w={140} />
        <TextInput label={t("customers.category")} value={filters.category} onChange={(e) => set({ category: e.currentTarget.value })} w={140} />
      </Group>
      <ErrorAlert error={list.error ?? remove.error} />
      <Table.ScrollContainer minWidth={900}>
        <Table striped highlightOnHover data-testid="customers-table" fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("customers.name")}</Table.Th>
              <Table.Th>{t("customers.company")}</Table.Th>
              <Table.Th>{t("customers.phones")}</Table.Th>
              <Table.Th>{t("customers.category")}</Table.Th>
              <Table.Th>{t("customers.tags")}</Table.Th>
              <Table.Th>{t("customers.updated")}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.items.map((c) => (
              <Table.Tr key={c.id} data-testid="customer-row" data-customer-id={c.id}>
                <Table.Td>{c.name}</Table.Td>
                <Table.Td>{c.company || "—"}</Table.Td>
                <Table.Td ff="monospace">{c.phones.map((p) => p.phone).join(", ") || "—"}</Table.Td>
                <Table.Td>{c.category || "—"}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {c.tags.map((tag) => (
                      <Badge key={tag} variant="light" size="sm">
                        {tag}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>{new Date(c.updatedAt).toLocaleString(i18n.language)}</Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    {mayWrite && (
                      <Button size="xs" variant="light" onClick={() => setEditing(c)} data-testid="customer-edit">
                        {t("customers.edit")}
                      </Button>
                    )}
                    {mayDelete && (
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        onClick={() => {
                          if (window.confirm(t("customers.confirmDelete", { name: c.name }))) remove.mutate(c.id);
                        }}
                      >
                        {t("customers.delete")}
                      </Button>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {list.data && list.data.total === 0 && (
        <Text c="dimmed" mt="sm">
          {t("customers.none")}
        </Text>
      )}
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
      <FormModal opened={editing !== null} onClose={() => setEditing(null)} title={editing === "new" ? t("customers.new") : t("customers.edit")} size="lg">
        {editing !== null && (
          <CustomerForm
            key={editing === "new" ? "new" : editing.id}
            customer={editing === "new" ? undefined : editing}
            onCancel={() => setEditing(null)}
            onDone={() => setEditing(null)}
            onOpenExisting={(id) => void openExisting(id)}
          />
        )}
      </FormModal>
    </>
  );
}
