// Pieces shared by the Calls and Recordings screens: the filter form, the recording player
// (an <audio> element the server feeds with HTTP Range, so seeking works), the export button.
import { Alert, Anchor, Badge, Button, Group, Select, Text, TextInput } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef } from "react";
import { useTranslation } from "react-i18next";

import { api, data, type Schemas } from "../../api/client";
import { can } from "../../auth/permissions";
import { useSession } from "../../auth/session";
import { ErrorAlert } from "../../components/ErrorAlert";
import { type CallFilterState, EMPTY_FILTERS, toExportBody } from "./model";

export type CallRow = Schemas["CallRowOut"];
export type RecordingInfo = Schemas["RecordingOut"];

function useAgentOptions(enabled: boolean) {
  return useQuery({
    queryKey: ["users", "agents-for-filters"],
    queryFn: () => data(api.GET("/api/v1/users", { params: { query: { limit: 200 } } })),
    select: (page) => page.items.map((u) => ({ value: u.id, label: u.displayName || u.email })),
    enabled,
  });
}

function useQueueOptions(enabled: boolean) {
  return useQuery({
    queryKey: ["acd", "queues", "for-filters"],
    queryFn: () => data(api.GET("/api/v1/acd/queues")),
    select: (queues) => queues.map((q) => ({ value: String(q.id), label: q.name })),
    enabled,
  });
}

interface FilterProps {
  value: CallFilterState;
  onChange: (next: CallFilterState) => void;
  recordings?: boolean; // the Recordings screen: listened filter instead of has-recording
}

export function CallFilterForm({ value, onChange, recordings = false }: FilterProps) {
  const { t } = useTranslation();
  const { me } = useSession();
  const agents = useAgentOptions(can(me.role, "users.read"));
  const queues = useQueueOptions(can(me.role, "acd.read"));
  const set = (field: keyof CallFilterState) => (v: string | null) => onChange({ ...value, [field]: v ?? "" });
  const text = (field: keyof CallFilterState) => (e: React.ChangeEvent<HTMLInputElement>) => set(field)(e.currentTarget.value);
  return (
    <Group mb="sm" align="end" gap="sm" data-testid="call-filters">
      <TextInput label={t("calls.since")} type="datetime-local" value={value.since} onChange={text("since")} w={190} />
      <TextInput label={t("calls.until")} type="datetime-local" value={value.until} onChange={text("until")} w={190} />
      <TextInput label={t("calls.number")} value={value.number} onChange={text("number")} w={150} data-testid="filter-number" />
      <Select
        label={t("calls.direction")}
        data={(["inbound", "outbound", "internal"] as const).map((d) => ({ value: d, label: t(`calls.directions.${d}`) }))}
        value={value.direction || null}
        onChange={set("direction")}
        clearable
        placeholder={t("common.all")}
        w={120}
      />
      {agents.data && (
        <Select label={t("calls.agent")} data={agents.data} value={value.agentId || null} onChange={set("agentId")} clearable searchable placeholder={t("common.all")} w={160} />
      )}
      {queues.data && (
        <Select label={t("calls.queue")} data={queues.data} value={value.queueId || null} onChange={set("queueId")} clearable placeholder={t("common.all")} w={150} />
      )}
      <TextInput label={t("calls.extension")} value={value.extension} onChange={text("extension")} w={90} />
      <TextInput label={t("calls.minDuration")} type="number" min={0} value={value.minDuration} onChange={text("minDuration")} w={120} />
      <TextInput label={t("calls.disposition")} value={value.disposition} onChange={text("disposition")} w={120} />
      <TextInput label={t("calls.satisfactionAtMost")} type="number" min={0} max={9} value={value.satisfactionAtMost} onChange={text("satisfactionAtMost")} w={120} />
      {recordings ? (
        <Select
          label={t("recordings.listenedStatus")}
          data={[
            { value: "true", label: t("recordings.listened") },
            { value: "false", label: t("recordings.unlistened") },
          ]}
          value={value.listened || null}
          onChange={set("listened")}
          clearable
          placeholder={t("common.all")}
          w={130}
        />
      ) : (
        <Select
          label={t("calls.hasRecording")}
          data={[
            { value: "true", label: t("calls.withRecording") },
            { value: "false", label: t("calls.withoutRecording") },
          ]}
          value={value.hasRecording || null}
          onChange={set("hasRecording")}
          clearable
          placeholder={t("common.all")}
          w={150}
        />
      )}
      <Button variant="subtle" onClick={() => onChange(EMPTY_FILTERS)}>
        {t("calls.reset")}
      </Button>
    </Group>
  );
}

/** The call's recording, playable in the page; the first play marks it listened for me. */
export function RecordingPlayer({ recording, label }: { recording: RecordingInfo; label: string }) {
  const queryClient = useQueryClient();
  const marked = useRef(recording.listened);
  const mark = useMutation({
    mutationFn: () =>
      data(api.POST("/api/v1/recordings/{recording_id}/listened", { params: { path: { recording_id: recording.id } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["recordings"] });
      void queryClient.invalidateQueries({ queryKey: ["calls"] });
    },
  });
  return (
    <audio
      controls
      preload="metadata"
      src={recording.audioUrl}
      aria-label={label}
      data-testid="recording-audio"
      style={{ width: "100%", maxWidth: 420 }}
      onPlay={() => {
        if (!marked.current) {
          marked.current = true;
          mark.mutate();
        }
      }}
    />
  );
}

export function ListenedBadge({ recording }: { recording: RecordingInfo }) {
  const { t } = useTranslation();
  return (
    <Badge color={recording.listened ? "gray" : "blue"} variant="light" data-testid="listened-badge">
      {recording.listened ? t("recordings.listened") : t("recordings.unlistened")}
    </Badge>
  );
}

/** Starts an Excel export of the current search, polls it, then offers the file. */
export function CallsExportButton({ filters }: { filters: CallFilterState }) {
  const { t, i18n } = useTranslation();
  const start = useMutation({
    mutationFn: () =>
      data(api.POST("/api/v1/calls/exports", { params: { query: { lang: i18n.language } }, body: toExportBody(filters) })),
  });
  const key = start.data?.key;
  const job = useQuery({
    queryKey: ["calls-export", key],
    queryFn: () => data(api.GET("/api/v1/calls/exports/{key}", { params: { path: { key: key! } } })),
    enabled: Boolean(key),
    refetchInterval: (q) => (q.state.data && ["done", "failed"].includes(q.state.data.status) ? false : 1000),
  });
  return <ExportStatus start={() => start.mutate()} pending={start.isPending} status={job.data?.status} rows={job.data?.rows} fileUrl={job.data?.fileUrl} error={start.error ?? job.error} label={t("calls.export")} />;
}

interface ExportStatusProps {
  start: () => void;
  pending: boolean;
  status?: string;
  rows?: number | null;
  fileUrl?: string | null;
  error: unknown;
  label: string;
}

export function ExportStatus({ start, pending, status, rows, fileUrl, error, label }: ExportStatusProps) {
  const { t } = useTranslation();
  const running = status !== undefined && status !== "done" && status !== "failed";
  return (
    <Group gap="sm">
      {running && <Text size="sm" aria-live="polite">{t("calls.exporting")}</Text>}
      {status === "done" && fileUrl && (
        <Alert color="green" py={4} data-testid="export-ready">
          <Group gap="xs">
            <Text size="sm">{t("calls.exportReady", { rows: String(rows ?? "") })}</Text>
            <Anchor href={fileUrl} download>
              {t("calls.download")}
            </Anchor>
          </Group>
        </Alert>
      )}
      {status === "failed" && <Alert color="red" py={4}>{t("calls.exportFailed")}</Alert>}
      <ErrorAlert error={error} />
      <Button variant="light" onClick={start} loading={pending || running}>
        {label}
      </Button>
    </Group>
  );
}
