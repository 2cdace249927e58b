// EDGE-3 / TEN-9: the tenant's carrier trunks and site gateways (app/edge/controllers.py).
import { Badge, Button, Checkbox, Group, NumberInput, PasswordInput, Select, SimpleGrid, Stack, Switch, Text, TextInput, Textarea } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { useBusinessOptions } from "../../api/lookups";
import { ProblemError } from "../../api/problem";
import { can } from "../../auth/permissions";
import { useSession } from "../../auth/session";
import { DataTable, FormActions, FormModal, useInvalidatingMutation, type Column } from "../../components/crud";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { TRUNKS } from "./lookups";
import { emptyDraft, KINDS, TRANSPORTS, trunkBody, trunkPatch, validateTrunk, type Errors, type TrunkDraft, type TrunkOut } from "./model";

const LIMIT = 25;
type Option = { value: string; label: string };

export function TrunksPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const writable = can(me.role, "settings.write");
  const [offset, setOffset] = useState(0);
  const [editing, setEditing] = useState<TrunkOut | null>(null);
  const [deleting, setDeleting] = useState<TrunkOut | null>(null);
  const [formOpen, form] = useDisclosure(false);
  const businesses = useBusinessOptions();
  const query = { limit: LIMIT, offset };
  const list = useQuery({
    queryKey: [...TRUNKS, query],
    queryFn: () => data(api.GET("/api/v1/trunks", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const remove = useInvalidatingMutation(
    [TRUNKS],
    async (row: TrunkOut) => data(api.DELETE("/api/v1/trunks/{trunk_id}", { params: { path: { trunk_id: row.id } } })),
    () => setDeleting(null),
  );
  const businessName = (id: string | null) => businesses.data?.find((b) => b.value === id)?.label ?? t("common.none");
  const openForm = (row: TrunkOut | null) => {
    setEditing(row);
    form.open();
  };

  const columns: Column<TrunkOut>[] = [
    {
      key: "name",
      header: t("trunks.name"),
      render: (r) => (
        <Stack gap={0}>
          <Text size="sm" fw={500}>{r.name}</Text>
          <Text size="xs" c="dimmed">{t(`trunks.kinds.${r.kind}`)}</Text>
        </Stack>
      ),
    },
    { key: "outbound", header: t("trunks.outbound"), render: (r) => `${r.transport.toUpperCase()} ${r.host}:${r.port}` },
    { key: "inbound", header: t("trunks.inbound"), render: (r) => r.sourceIps.join(", ") || t("common.none") },
    { key: "business", header: t("trunks.business"), render: (r) => businessName(r.businessId) },
    { key: "channels", header: t("trunks.maxChannels"), render: (r) => r.maxChannels },
    {
      key: "status",
      header: t("trunks.status"),
      render: (r) => <Badge color={r.isActive ? "green" : "gray"} style={{ minWidth: "max-content" }}>{r.isActive ? t("common.active") : t("common.inactive")}</Badge>,
    },
    {
      key: "actions",
      header: t("common.actions"),
      show: writable,
      render: (r) => (
        <Group gap="xs" wrap="nowrap">
          <Button size="xs" variant="default" onClick={() => openForm(r)} aria-label={`${t("common.edit")}: ${r.name}`}>
            {t("common.edit")}
          </Button>
          <Button size="xs" color="red" variant="light" onClick={() => setDeleting(r)}>
            {t("trunks.delete")}
          </Button>
        </Group>
      ),
    },
  ];

  return (
    <>
      <PageHeader title={t("trunks.title")}>{writable && <Button onClick={() => openForm(null)}>{t("trunks.add")}</Button>}</PageHeader>
      <Text size="sm" c="dimmed" mb="sm">
        {t("trunks.intro")}
      </Text>
      <ErrorAlert error={list.error} />
      <DataTable columns={columns} rows={list.data?.items} rowKey={(r) => r.id} testId="trunks-table" empty={t("trunks.none")} />
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
      <FormModal opened={formOpen} onClose={form.close} title={editing ? t("trunks.edit", { name: editing.name }) : t("trunks.add")} size="lg">
        <TrunkForm key={editing?.id ?? "new"} trunk={editing} businesses={businesses.data ?? []} onDone={form.close} />
      </FormModal>
      <FormModal opened={deleting !== null} onClose={() => setDeleting(null)} title={t("trunks.delete")}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (deleting) remove.mutate(deleting);
          }}
        >
          <Stack gap="sm">
            <ErrorAlert error={remove.error} />
            <Text size="sm">{t("trunks.confirmDelete", { name: deleting?.name ?? "" })}</Text>
            <FormActions onCancel={() => setDeleting(null)} submitLabel={t("trunks.delete")} loading={remove.isPending} />
          </Stack>
        </form>
      </FormModal>
    </>
  );
}

const SOURCE_CODES = new Set(["address_not_available", "address_in_use"]);

function TrunkForm({ trunk, businesses, onDone }: { trunk: TrunkOut | null; businesses: Option[]; onDone: () => void }) {
  const { t } = useTranslation();
  const [d, setD] = useState<TrunkDraft>(() => emptyDraft(trunk ?? undefined));
  const [errors, setErrors] = useState<Errors>({});
  const set = <K extends keyof TrunkDraft>(key: K, value: TrunkDraft[K]) => {
    setD((prev) => ({ ...prev, [key]: value }));
    // A corrected field loses its complaint at once; the rest wait for the next submit.
    setErrors((prev) => Object.fromEntries(Object.entries(prev).filter(([field]) => field !== key && field !== `${key}Value`)));
  };
  const save = useInvalidatingMutation(
    [TRUNKS],
    () =>
      trunk
        ? data(api.PATCH("/api/v1/trunks/{trunk_id}", { params: { path: { trunk_id: trunk.id } }, body: trunkPatch(d) }))
        : data(api.POST("/api/v1/trunks", { body: trunkBody(d) })),
    onDone,
  );
  const err = (field: string) => (errors[field] ? t(`trunks.errors.${errors[field]}`, { value: errors[`${field}Value`] ?? "" }) : undefined);
  const serverCode = save.error instanceof ProblemError ? save.error.code : undefined;
  const sourceError = err("sources") ?? (serverCode && SOURCE_CODES.has(serverCode) ? t(`trunks.errors.${serverCode}`) : undefined);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateTrunk(d);
    setErrors(found);
    if (Object.keys(found).length === 0) save.mutate();
  };
  const options = (values: readonly string[], prefix?: string) => values.map((v) => ({ value: v, label: prefix ? t(`${prefix}.${v}`) : v.toUpperCase() }));
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        {!(serverCode && SOURCE_CODES.has(serverCode)) && <ErrorAlert error={save.error} />}
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label={t("trunks.name")} value={d.name} onChange={(e) => set("name", e.currentTarget.value)} error={err("name")} required data-autofocus />
          <Select label={t("trunks.kind")} data={options(KINDS, "trunks.kinds")} value={d.kind} allowDeselect={false} onChange={(v) => v && set("kind", v as TrunkDraft["kind"])} />
        </SimpleGrid>
        <TextInput label={t("trunks.host")} description={t("trunks.hostHint")} value={d.host} onChange={(e) => set("host", e.currentTarget.value)} error={err("host")} required />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <NumberInput label={t("trunks.port")} value={d.port} onChange={(v) => set("port", String(v))} error={err("port")} min={1} max={65535} allowDecimal={false} />
          <Select label={t("trunks.transport")} data={options(TRANSPORTS)} value={d.transport} allowDeselect={false} onChange={(v) => v && set("transport", v as TrunkDraft["transport"])} />
        </SimpleGrid>
        <Textarea
          label={t("trunks.sources")}
          description={t("trunks.sourcesHint")}
          value={d.sources}
          onChange={(e) => set("sources", e.currentTarget.value)}
          error={sourceError}
          autosize
          minRows={2}
          placeholder="203.0.113.7"
        />
        <Select label={t("trunks.business")} description={t("trunks.businessHint")} data={businesses} value={d.businessId} onChange={(v) => set("businessId", v)} clearable placeholder={t("common.none")} />
        <Text size="sm" fw={500}>
          {t("trunks.credentials")}
        </Text>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label={t("trunks.username")} value={d.username} onChange={(e) => set("username", e.currentTarget.value)} error={err("username")} autoComplete="off" />
          <PasswordInput
            label={t("trunks.password")}
            description={trunk?.hasPassword ? t("trunks.passwordKept") : undefined}
            value={d.password}
            onChange={(e) => set("password", e.currentTarget.value)}
            error={err("password")}
            disabled={d.clearPassword}
            autoComplete="new-password"
          />
        </SimpleGrid>
        {trunk?.hasPassword && <Checkbox label={t("trunks.clearPassword")} checked={d.clearPassword} onChange={(e) => set("clearPassword", e.currentTarget.checked)} />}
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label={t("trunks.callerId")} value={d.callerId} onChange={(e) => set("callerId", e.currentTarget.value)} error={err("callerId")} inputMode="tel" />
          <NumberInput label={t("trunks.maxChannels")} description={t("trunks.maxChannelsHint")} value={d.maxChannels} onChange={(v) => set("maxChannels", String(v))} error={err("maxChannels")} min={1} max={10000} allowDecimal={false} />
        </SimpleGrid>
        <Switch label={t("common.active")} checked={d.isActive} onChange={(e) => set("isActive", e.currentTarget.checked)} />
        <FormActions onCancel={onDone} submitLabel={trunk ? t("common.save") : t("common.create")} loading={save.isPending} />
      </Stack>
    </form>
  );
}
