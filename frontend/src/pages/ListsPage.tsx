import { Alert, Button, Group, Paper, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useDebouncedValue, useDisclosure } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";

import { api, data, type Schemas } from "../api/client";
import { can } from "../auth/permissions";
import { useSession } from "../auth/session";
import { FormActions, FormModal, useInvalidatingMutation } from "../components/crud";
import { ErrorAlert } from "../components/ErrorAlert";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";

type Kind = Schemas["CallerListIn"]["listKind"];
const KINDS: Kind[] = ["black", "white", "outbound_white"];
const LIMIT = 25;

export function ListsPage() {
  const { t, i18n } = useTranslation();
  const { me } = useSession();
  const writable = can(me.role, "lists.write");
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<string | null>(null);
  const [number, setNumber] = useState("");
  const [debounced] = useDebouncedValue(number, 250);
  const [offset, setOffset] = useState(0);
  const [adding, addModal] = useDisclosure(false);
  const kindOptions = KINDS.map((k) => ({ value: k, label: t(`lists.kinds.${k}`) }));
  const query = { listKind: (kind as Kind | null) ?? undefined, number: debounced || undefined, limit: LIMIT, offset };
  const list = useQuery({
    queryKey: ["caller-lists", query],
    queryFn: () => data(api.GET("/api/v1/caller-lists", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.DELETE("/api/v1/caller-lists/{entry_id}", { params: { path: { entry_id: id } } }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["caller-lists"] }),
  });
  const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString(i18n.language) : t("lists.never"));

  return (
    <>
      <PageHeader title={t("lists.title")}>
        {writable && <Button onClick={addModal.open}>{t("lists.add")}</Button>}
      </PageHeader>
      <NumberCheck />
      <Group mb="sm" align="end">
        <Select label={t("lists.kind")} data={kindOptions} value={kind} onChange={(v) => { setKind(v); setOffset(0); }} clearable placeholder={t("common.all")} w={200} />
        <TextInput label={t("lists.number")} value={number} onChange={(e) => { setNumber(e.currentTarget.value); setOffset(0); }} w={220} />
      </Group>
      <ErrorAlert error={list.error ?? remove.error} />
      <Table striped data-testid="lists-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("lists.kind")}</Table.Th>
            <Table.Th>{t("lists.number")}</Table.Th>
            <Table.Th>{t("lists.note")}</Table.Th>
            <Table.Th>{t("lists.expires")}</Table.Th>
            {writable && <Table.Th>{t("common.actions")}</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.data?.items.map((e) => (
            <Table.Tr key={e.id}>
              <Table.Td>{t(`lists.kinds.${e.listKind}`)}</Table.Td>
              <Table.Td>{e.number}</Table.Td>
              <Table.Td>{e.note}</Table.Td>
              <Table.Td>{when(e.expiresAt)}</Table.Td>
              {writable && (
                <Table.Td>
                  <Button size="xs" color="red" variant="light" onClick={() => remove.mutate(e.id)}>
                    {t("common.remove")}
                  </Button>
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
      <FormModal opened={adding} onClose={addModal.close} title={t("lists.add")}>
        <AddEntry kindOptions={kindOptions} onDone={addModal.close} />
      </FormModal>
    </>
  );
}

function NumberCheck() {
  const { t } = useTranslation();
  const [number, setNumber] = useState("");
  const check = useMutation({
    mutationFn: (n: string) => data(api.GET("/api/v1/caller-lists/check", { params: { query: { number: n } } })),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    check.mutate(number.trim());
  };
  const result = check.data;
  return (
    <Paper withBorder p="md" mb="md">
      <Title order={3} size="h5" mb="xs">
        {t("lists.checkTitle")}
      </Title>
      <form onSubmit={submit} noValidate>
        <Group align="end">
          <TextInput label={t("lists.number")} value={number} onChange={(e) => setNumber(e.currentTarget.value)} inputMode="tel" w={240} />
          <Button type="submit" variant="light" loading={check.isPending} disabled={number.trim().length < 3}>
            {t("common.check")}
          </Button>
        </Group>
      </form>
      <Stack mt="xs" gap="xs" aria-live="polite">
        <ErrorAlert error={check.error} />
        {result && (
          <Alert color={result.lists.includes("black") ? "red" : "blue"} data-testid="check-result">
            <Text size="sm">
              {result.lists.length
                ? t("lists.checkResult", { number: result.number, lists: result.lists.map((k) => t(`lists.kinds.${k}`)).join(", ") })
                : t("lists.checkNone", { number: result.number })}
            </Text>
          </Alert>
        )}
      </Stack>
    </Paper>
  );
}

function AddEntry({ kindOptions, onDone }: { kindOptions: { value: string; label: string }[]; onDone: () => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState({ listKind: "black" as Kind, number: "", note: "", expiresAt: "" });
  const add = useInvalidatingMutation(
    [["caller-lists"]],
    () =>
      data(
        api.POST("/api/v1/caller-lists", {
          body: { ...form, expiresAt: form.expiresAt ? new Date(form.expiresAt).toISOString() : null },
        }),
      ),
    onDone,
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <ErrorAlert error={add.error} />
        <Select label={t("lists.kind")} data={kindOptions} value={form.listKind} allowDeselect={false} onChange={(v) => v && setForm({ ...form, listKind: v as Kind })} />
        <TextInput label={t("lists.number")} value={form.number} onChange={(e) => setForm({ ...form, number: e.currentTarget.value })} required data-autofocus inputMode="tel" />
        <TextInput label={t("lists.note")} value={form.note} onChange={(e) => setForm({ ...form, note: e.currentTarget.value })} />
        <TextInput label={t("lists.expires")} type="datetime-local" value={form.expiresAt} onChange={(e) => setForm({ ...form, expiresAt: e.currentTarget.value })} />
        <FormActions onCancel={onDone} submitLabel={t("common.add")} loading={add.isPending} />
      </Stack>
    </form>
  );
}
