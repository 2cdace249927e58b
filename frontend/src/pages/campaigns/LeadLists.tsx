// Lead lists of a campaign (DIAL-1): upload a CSV/XLSX (create the list with its column mapping,
// then PUT the file), follow the import with a live progress bar (GET /imports/{id} polled until
// it finishes) and read the rejected lines by line number (the /errors CSV, also downloadable).
import { Anchor, Badge, Button, FileInput, Group, Paper, Progress, Select, SimpleGrid, Stack, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { DataTable, useInvalidatingMutation } from "../../components/crud";
import { ErrorAlert } from "../../components/ErrorAlert";
import { csvHeader, etaSeconds, formatOf, guessMapping, parseErrorReport, progressView, type ImportErrorRow, type LeadList } from "./model";

const POLL_MS = 400;

async function readHead(file: File): Promise<string> {
  const bytes = await file.slice(0, 64 * 1024).arrayBuffer();
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    try {
      return new TextDecoder("gb18030").decode(bytes); // Chinese Excel exports
    } catch {
      return new TextDecoder("utf-8").decode(bytes);
    }
  }
}

export function LeadLists({ campaignId, writable }: { campaignId: string; writable: boolean }) {
  const { t, i18n } = useTranslation();
  const listsKey = ["dialer", "lists", campaignId];
  const lists = useQuery({
    queryKey: listsKey,
    queryFn: () => data(api.GET("/api/v1/dialer/campaigns/{campaign_id}/lists", { params: { path: { campaign_id: campaignId } } })),
  });
  const [tracking, setTracking] = useState<string | null>(null);
  const [reportFor, setReportFor] = useState<string | null>(null);
  const when = (iso: string) => new Date(iso).toLocaleString(i18n.language);
  const listName = (id: string) => lists.data?.find((l) => l.id === id)?.name ?? "";
  return (
    <Stack gap="md">
      {writable && <Upload campaignId={campaignId} onStarted={(id) => { setTracking(id); setReportFor(null); }} onFailed={() => { setTracking(null); void lists.refetch(); }} />}
      {tracking && <ImportProgress listId={tracking} name={listName(tracking)} writable={writable} onFinished={() => void lists.refetch()} />}
      <ErrorAlert error={lists.error} />
      <DataTable<LeadList>
        testId="lead-lists"
        rows={lists.data}
        rowKey={(l) => l.id}
        empty={t("dialer.noLists")}
        columns={[
          { key: "name", header: t("common.name"), render: (l) => l.name },
          { key: "status", header: t("dialer.status"), render: (l) => <Badge color={l.status === "done" ? "green" : l.status === "failed" ? "red" : "gray"}>{t(`dialer.importStatuses.${l.status}`, { defaultValue: l.status })}</Badge> },
          { key: "rows", header: t("dialer.rows"), render: (l) => l.rows },
          { key: "imported", header: t("dialer.imported"), render: (l) => l.imported },
          { key: "rejected", header: t("dialer.rejected"), render: (l) => l.rejected },
          { key: "created", header: t("common.created"), render: (l) => when(l.createdAt) },
          {
            key: "actions",
            header: t("common.actions"),
            show: writable,
            render: (l) =>
              l.rejected > 0 && l.status === "done" ? (
                <Button size="xs" variant="default" onClick={() => { setReportFor(l.id); setTracking(null); }} aria-label={`${t("dialer.showErrors")}: ${l.name}`}>
                  {t("dialer.showErrors")}
                </Button>
              ) : null,
          },
        ]}
      />
      {reportFor && <ErrorReport listId={reportFor} />}
    </Stack>
  );
}

function Upload({ campaignId, onStarted, onFailed }: { campaignId: string; onStarted: (listId: string) => void; onFailed: () => void }) {
  const { t } = useTranslation();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [header, setHeader] = useState<string[]>([]);
  const [mapping, setMapping] = useState<{ phone: string | null; name: string | null; timezone: string | null }>({ phone: null, name: null, timezone: null });
  const [problem, setProblem] = useState<string | null>(null);

  const choose = async (f: File | null) => {
    setFile(f);
    setProblem(null);
    if (!f) return;
    setName(f.name.replace(/\.(csv|xlsx)$/i, ""));
    if (formatOf(f.name) === "csv") {
      const cols = csvHeader(await readHead(f));
      setHeader(cols);
      setMapping(guessMapping(cols));
    } else {
      setHeader([]);
      setMapping({ phone: "phone", name: "name", timezone: null });
    }
  };
  const upload = useInvalidatingMutation([["dialer", "lists", campaignId]], async () => {
    if (!file || !mapping.phone) throw new Error(t("dialer.errors.phoneColumn"));
    const list = await data(
      api.POST("/api/v1/dialer/campaigns/{campaign_id}/lists", {
        params: { path: { campaign_id: campaignId } },
        body: {
          name: name.trim() || file.name,
          format: formatOf(file.name),
          mapping: { phone: mapping.phone, name: mapping.name || null, timezone: mapping.timezone || null, fields: {} },
        },
      }),
    );
    onStarted(list.id);
    try {
      await data(
        api.PUT("/api/v1/dialer/lists/{list_id}/file", {
          params: { path: { list_id: list.id } },
          body: file as never,
          bodySerializer: (body: unknown) => body as BodyInit,
          headers: { "Content-Type": formatOf(file.name) === "csv" ? "text/csv" : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
        }),
      );
    } catch (error) {
      onFailed(); // the file never arrived: stop following an import that will not run
      throw error;
    }
    return list;
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!file) return setProblem(t("dialer.errors.file"));
    if (!mapping.phone) return setProblem(t("dialer.errors.phoneColumn"));
    upload.mutate();
  };
  const column = (key: "phone" | "name" | "timezone", label: string, required = false) =>
    header.length ? (
      <Select label={label} data={header} value={mapping[key]} onChange={(v) => setMapping({ ...mapping, [key]: v })} clearable={!required} allowDeselect={!required} required={required} placeholder={t("common.none")} />
    ) : (
      <TextInput label={label} value={mapping[key] ?? ""} onChange={(e) => setMapping({ ...mapping, [key]: e.currentTarget.value || null })} required={required} />
    );
  return (
    <Paper withBorder p="md">
      <Title order={3} size="h5" mb="xs">
        {t("dialer.uploadTitle")}
      </Title>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <ErrorAlert error={upload.error} />
          {problem && (
            <Text c="red" size="sm" role="alert">
              {problem}
            </Text>
          )}
          <SimpleGrid cols={2} spacing="sm">
            <FileInput label={t("dialer.file")} description={t("dialer.fileHint")} accept=".csv,.xlsx,text/csv" value={file} onChange={(f) => void choose(f)} clearable required />
            <TextInput label={t("dialer.listName")} value={name} onChange={(e) => setName(e.currentTarget.value)} />
          </SimpleGrid>
          <SimpleGrid cols={3} spacing="sm">
            {column("phone", t("dialer.phoneColumn"), true)}
            {column("name", t("dialer.nameColumn"))}
            {column("timezone", t("dialer.timezoneColumn"))}
          </SimpleGrid>
          <Group justify="flex-end">
            <Button type="submit" loading={upload.isPending}>
              {t("dialer.upload")}
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}

function ImportProgress({ listId, name, writable, onFinished }: { listId: string; name: string; writable: boolean; onFinished: () => void }) {
  const { t } = useTranslation();
  const [notified, setNotified] = useState(false);
  const status = useQuery({
    queryKey: ["dialer", "import", listId],
    queryFn: () => data(api.GET("/api/v1/dialer/imports/{list_id}", { params: { path: { list_id: listId } } })),
    refetchInterval: (q) => {
      const s = q.state.data?.status;
      return s === "done" || s === "failed" ? false : POLL_MS;
    },
  });
  const view = status.data ? progressView(status.data) : null;
  if (view?.finished && !notified) {
    setNotified(true);
    onFinished();
  }
  const eta = view ? etaSeconds(view) : null;
  return (
    <Paper withBorder p="md" data-testid="import-panel">
      <Title order={3} size="h5" mb="xs">
        {t("dialer.importing", { name })}
      </Title>
      <ErrorAlert error={status.error} />
      {view && (
        <Stack gap="xs">
          <Progress.Root size="xl" aria-hidden>
            <Progress.Section value={view.percent} color={view.failed ? "red" : view.finished ? "green" : "blue"} animated={!view.finished}>
              <Progress.Label>{view.percent}%</Progress.Label>
            </Progress.Section>
          </Progress.Root>
          <div
            role="progressbar"
            aria-label={t("dialer.importProgress")}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={view.percent}
            data-testid="import-progress"
            data-percent={view.percent}
          >
            <Text size="sm" aria-live="polite">
              {t("dialer.progressLine", { percent: view.percent, rows: view.rows, rps: view.rowsPerSecond })}
              {eta != null ? ` · ${t("dialer.eta", { s: eta })}` : ""}
            </Text>
          </div>
          {view.finished && (
            <Text size="sm" data-testid="import-summary" fw={500} c={view.failed ? "red" : undefined}>
              {view.failed ? t("dialer.importFailed", { error: status.data?.error ?? "" }) : t("dialer.importDone", { imported: view.imported, rejected: view.rejected })}
            </Text>
          )}
          {view.finished && !view.failed && view.rejected > 0 && writable && <ErrorReport listId={listId} />}
        </Stack>
      )}
    </Paper>
  );
}

export function ErrorReport({ listId }: { listId: string }) {
  const { t } = useTranslation();
  const report = useQuery({
    queryKey: ["dialer", "import-errors", listId],
    queryFn: async () => {
      const text = await data(api.GET("/api/v1/dialer/imports/{list_id}/errors", { params: { path: { list_id: listId } }, parseAs: "text" }));
      return parseErrorReport(String(text ?? ""));
    },
  });
  const href = `/api/v1/dialer/imports/${listId}/errors`;
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Title order={4} size="h6">
          {t("dialer.errorReport", { n: report.data?.length ?? 0 })}
        </Title>
        <Anchor href={href} download={`import-errors-${listId}.csv`} size="sm">
          {t("dialer.downloadErrors")}
        </Anchor>
      </Group>
      <ErrorAlert error={report.error} />
      <DataTable<ImportErrorRow>
        testId="import-errors"
        rows={report.data}
        rowKey={(r) => `${r.line}-${r.reason}`}
        columns={[
          { key: "line", header: t("dialer.line"), render: (r) => r.line, width: 80 },
          { key: "reason", header: t("dialer.reason"), render: (r) => t(`dialer.reasons.${r.reason.split(":")[0]}`, { defaultValue: r.reason }) },
          { key: "detail", header: t("dialer.detail"), render: (r) => r.detail },
          { key: "value", header: t("dialer.value"), render: (r) => <Text size="sm" ff="monospace">{r.value}</Text> },
        ]}
      />
    </Stack>
  );
}
