import { Alert, Anchor, Badge, Button, Group, Select, Table, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../api/client";
import { ErrorAlert } from "../components/ErrorAlert";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";

const LIMIT = 50;
const OUTCOMES = ["success", "failed", "denied"] as const;

/** A datetime-local value (the browser's zone) as an instant with offset, or undefined. */
function instant(local: string): string | undefined {
  return local ? new Date(local).toISOString() : undefined;
}

export function AuditPage() {
  const { t, i18n } = useTranslation();
  const [search, setSearch] = useState("");
  const [actorEmail, setActorEmail] = useState("");
  const [outcome, setOutcome] = useState<string | null>(null);
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [offset, setOffset] = useState(0);
  const [filters] = useDebouncedValue({ search, actorEmail, outcome, since, until }, 300);
  const query = {
    search: filters.search || undefined,
    actorEmail: filters.actorEmail || undefined,
    outcome: filters.outcome ?? undefined,
    since: instant(filters.since),
    until: instant(filters.until),
    limit: LIMIT,
    offset,
  };
  const list = useQuery({
    queryKey: ["audit", query],
    queryFn: () => data(api.GET("/api/v1/audit", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const reset = (fn: (v: string) => void) => (v: string) => {
    fn(v);
    setOffset(0);
  };

  return (
    <>
      <PageHeader title={t("audit.title")}>
        <ExportButton since={instant(since)} until={instant(until)} />
      </PageHeader>
      <Group mb="sm" align="end" gap="sm">
        <TextInput label={t("common.search")} value={search} onChange={(e) => reset(setSearch)(e.currentTarget.value)} w={200} />
        <TextInput label={t("audit.actorEmail")} value={actorEmail} onChange={(e) => reset(setActorEmail)(e.currentTarget.value)} w={200} />
        <Select
          label={t("audit.outcome")}
          data={OUTCOMES.map((o) => ({ value: o, label: t(`audit.outcomes.${o}`) }))}
          value={outcome}
          onChange={(v) => { setOutcome(v); setOffset(0); }}
          clearable
          placeholder={t("common.all")}
          w={140}
        />
        <TextInput label={t("audit.since")} type="datetime-local" value={since} onChange={(e) => reset(setSince)(e.currentTarget.value)} w={200} />
        <TextInput label={t("audit.until")} type="datetime-local" value={until} onChange={(e) => reset(setUntil)(e.currentTarget.value)} w={200} />
      </Group>
      <ErrorAlert error={list.error} />
      <Table striped data-testid="audit-table" fz="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("audit.at")}</Table.Th>
            <Table.Th>{t("audit.actor")}</Table.Th>
            <Table.Th>{t("audit.action")}</Table.Th>
            <Table.Th>{t("audit.outcome")}</Table.Th>
            <Table.Th>{t("audit.target")}</Table.Th>
            <Table.Th>{t("audit.ip")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.data?.items.map((e) => (
            <Table.Tr key={e.id}>
              <Table.Td>{new Date(e.at).toLocaleString(i18n.language)}</Table.Td>
              <Table.Td>{e.actorEmail ?? "—"}</Table.Td>
              <Table.Td>
                <Text size="sm" ff="monospace">{e.action}</Text>
              </Table.Td>
              <Table.Td>
                <Badge color={e.outcome === "success" ? "green" : "red"} variant="light">
                  {OUTCOMES.includes(e.outcome as (typeof OUTCOMES)[number]) ? t(`audit.outcomes.${e.outcome}`) : e.outcome}
                </Badge>
              </Table.Td>
              <Table.Td>{e.targetType ? `${e.targetType} ${e.targetId ?? ""}` : "—"}</Table.Td>
              <Table.Td>{e.sourceIp ?? "—"}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
    </>
  );
}

/** Starts a CSV export job, polls it every second, then offers the file. */
function ExportButton({ since, until }: { since?: string; until?: string }) {
  const { t } = useTranslation();
  const start = useMutation({
    mutationFn: () => data(api.POST("/api/v1/audit/exports", { body: { since: since ?? null, until: until ?? null } })),
  });
  const key = start.data?.key;
  const job = useQuery({
    queryKey: ["audit-export", key],
    queryFn: () => data(api.GET("/api/v1/audit/exports/{key}", { params: { path: { key: key! } } })),
    enabled: Boolean(key),
    refetchInterval: (q) => (q.state.data && ["done", "failed"].includes(q.state.data.status) ? false : 1000),
  });
  const status = job.data?.status;
  return (
    <Group gap="sm">
      {key && status !== "done" && status !== "failed" && <Text size="sm" aria-live="polite">{t("audit.exporting")}</Text>}
      {status === "done" && key && (
        <Alert color="green" py={4} data-testid="export-ready">
          <Group gap="xs">
            <Text size="sm">{t("audit.exportReady", { rows: String(job.data?.result.rows ?? "") })}</Text>
            <Anchor href={`/api/v1/audit/exports/${encodeURIComponent(key)}/file`} download>
              {t("audit.download")}
            </Anchor>
          </Group>
        </Alert>
      )}
      {status === "failed" && <Alert color="red" py={4}>{t("audit.exportFailed")}</Alert>}
      <ErrorAlert error={start.error ?? job.error} />
      <Button variant="light" onClick={() => start.mutate()} loading={start.isPending}>
        {t("audit.export")}
      </Button>
    </Group>
  );
}
