import { Badge, Button, Group, Modal, Select, Stack, Table, TextInput } from "@mantine/core";
import { useDebouncedValue, useDisclosure } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";

import { api, data, type Schemas } from "../api/client";
import { useBusinessOptions } from "../api/lookups";
import { can } from "../auth/permissions";
import { useSession } from "../auth/session";
import { ErrorAlert } from "../components/ErrorAlert";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";

type Kind = NonNullable<Schemas["NumberIn"]["kind"]>;
const KINDS: Kind[] = ["did", "400", "800", "mobile"];
const LIMIT = 25;

export function NumbersPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const writable = can(me.role, "settings.write");
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [debounced] = useDebouncedValue(search, 250);
  const [kind, setKind] = useState<string | null>(null);
  const [offset, setOffset] = useState(0);
  const [adding, addModal] = useDisclosure(false);
  const businesses = useBusinessOptions();
  const kindOptions = KINDS.map((k) => ({ value: k, label: t(`numbers.kinds.${k}`) }));
  const query = { search: debounced || undefined, kind: (kind as Kind | null) ?? undefined, limit: LIMIT, offset };
  const list = useQuery({
    queryKey: ["numbers", query],
    queryFn: () => data(api.GET("/api/v1/numbers", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const invalidate = () => queryClient.invalidateQueries({ queryKey: ["numbers"] });
  const update = useMutation({
    mutationFn: (args: { id: string; isActive?: boolean; businessId?: string }) =>
      data(api.PATCH("/api/v1/numbers/{number_id}", { params: { path: { number_id: args.id } }, body: { isActive: args.isActive, businessId: args.businessId } })),
    onSuccess: invalidate,
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.DELETE("/api/v1/numbers/{number_id}", { params: { path: { number_id: id } } }),
    onSuccess: invalidate,
  });

  return (
    <>
      <PageHeader title={t("numbers.title")}>
        {writable && <Button onClick={addModal.open}>{t("numbers.add")}</Button>}
      </PageHeader>
      <Group mb="sm" align="end">
        <TextInput label={t("common.search")} value={search} onChange={(e) => { setSearch(e.currentTarget.value); setOffset(0); }} w={240} />
        <Select label={t("numbers.kind")} data={kindOptions} value={kind} onChange={(v) => { setKind(v); setOffset(0); }} clearable placeholder={t("common.all")} w={160} />
      </Group>
      <ErrorAlert error={list.error ?? update.error ?? remove.error} />
      <Table striped data-testid="numbers-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("numbers.number")}</Table.Th>
            <Table.Th>{t("numbers.kind")}</Table.Th>
            <Table.Th>{t("numbers.label")}</Table.Th>
            <Table.Th>{t("numbers.business")}</Table.Th>
            <Table.Th>{t("users.status")}</Table.Th>
            {writable && <Table.Th>{t("common.actions")}</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.data?.items.map((n) => (
            <Table.Tr key={n.id}>
              <Table.Td>{n.number}</Table.Td>
              <Table.Td>{t(`numbers.kinds.${n.kind}`)}</Table.Td>
              <Table.Td>{n.label}</Table.Td>
              <Table.Td>
                {writable ? (
                  <Select size="xs" aria-label={`${t("numbers.business")}: ${n.number}`} data={businesses.data ?? []} value={n.businessId} placeholder={t("common.none")} allowDeselect={false} onChange={(v) => v && update.mutate({ id: n.id, businessId: v })} w={180} />
                ) : (
                  businesses.data?.find((b) => b.value === n.businessId)?.label ?? t("common.none")
                )}
              </Table.Td>
              <Table.Td>
                <Badge color={n.isActive ? "green" : "gray"}>{n.isActive ? t("common.active") : t("common.inactive")}</Badge>
              </Table.Td>
              {writable && (
                <Table.Td>
                  <Group gap="xs">
                    <Button size="xs" variant="default" onClick={() => update.mutate({ id: n.id, isActive: !n.isActive })}>
                      {n.isActive ? t("users.deactivate") : t("users.activate")}
                    </Button>
                    <Button size="xs" color="red" variant="light" onClick={() => remove.mutate(n.id)}>
                      {t("common.remove")}
                    </Button>
                  </Group>
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
      <Modal opened={adding} onClose={addModal.close} closeButtonProps={{ "aria-label": t("common.close") }} title={t("numbers.add")}>
        <AddNumber kindOptions={kindOptions} businesses={businesses.data ?? []} onDone={addModal.close} />
      </Modal>
    </>
  );
}

interface AddProps {
  kindOptions: { value: string; label: string }[];
  businesses: { value: string; label: string }[];
  onDone: () => void;
}

function AddNumber({ kindOptions, businesses, onDone }: AddProps) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ number: "", kind: "did" as Kind, label: "", businessId: null as string | null, isActive: true });
  const add = useMutation({
    mutationFn: () => data(api.POST("/api/v1/numbers", { body: form })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ["numbers"] });
      onDone();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <ErrorAlert error={add.error} />
        <TextInput label={t("numbers.number")} value={form.number} onChange={(e) => setForm({ ...form, number: e.currentTarget.value })} required data-autofocus inputMode="tel" />
        <Select label={t("numbers.kind")} data={kindOptions} value={form.kind} allowDeselect={false} onChange={(v) => v && setForm({ ...form, kind: v as Kind })} />
        <TextInput label={t("numbers.label")} value={form.label} onChange={(e) => setForm({ ...form, label: e.currentTarget.value })} />
        <Select label={t("numbers.business")} data={businesses} value={form.businessId} onChange={(v) => setForm({ ...form, businessId: v })} clearable placeholder={t("common.none")} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>{t("common.cancel")}</Button>
          <Button type="submit" loading={add.isPending}>{t("common.add")}</Button>
        </Group>
      </Stack>
    </form>
  );
}
