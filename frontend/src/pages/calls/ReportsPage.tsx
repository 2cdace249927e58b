// REC-4: agent and queue reports by day / week / month / year, charts and Excel export.
import { Group, NumberInput, Select, Table, Tabs, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageHeader } from "../../components/PageHeader";
import { BarChart } from "./BarChart";
import { defaultRange, formatDuration, formatPercent, instant, type Period, sumByBucket } from "./model";
import { ExportStatus } from "./shared";

type Kind = "agents" | "queues";
const PERIODS: Period[] = ["day", "week", "month", "year"];

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "Asia/Shanghai";
  } catch {
    return "Asia/Shanghai";
  }
}

export function ReportsPage() {
  const { t } = useTranslation();
  const [kind, setKind] = useState<Kind>("agents");
  const [range, setRange] = useState(defaultRange);
  const [period, setPeriod] = useState<Period>("day");
  const [tz, setTz] = useState(browserZone);
  const [sl, setSl] = useState<number>(20);
  const [params] = useDebouncedValue({ ...range, period, tz, sl }, 300);
  const query = {
    since: instant(params.since),
    until: instant(params.until),
    period: params.period,
    tz: params.tz,
    slSeconds: params.sl > 0 ? params.sl : 20,
  };

  return (
    <>
      <PageHeader title={t("reports.title")}>
        <ReportExportButton kind={kind} query={query} />
      </PageHeader>
      <Group mb="sm" align="end" gap="sm">
        <TextInput label={t("calls.since")} type="datetime-local" value={range.since} onChange={(e) => setRange({ ...range, since: e.currentTarget.value })} w={190} />
        <TextInput label={t("calls.until")} type="datetime-local" value={range.until} onChange={(e) => setRange({ ...range, until: e.currentTarget.value })} w={190} />
        <Select
          label={t("reports.period")}
          data={PERIODS.map((p) => ({ value: p, label: t(`reports.periods.${p}`) }))}
          value={period}
          onChange={(v) => setPeriod((v as Period | null) ?? "day")}
          allowDeselect={false}
          w={110}
          data-testid="report-period"
        />
        <TextInput label={t("reports.timezone")} value={tz} onChange={(e) => setTz(e.currentTarget.value)} w={170} />
        {kind === "queues" && (
          <NumberInput label={t("reports.slSeconds")} value={sl} onChange={(v) => setSl(Number(v) || 20)} min={1} max={3600} w={170} />
        )}
      </Group>
      <Tabs value={kind} onChange={(v) => setKind((v as Kind | null) ?? "agents")}>
        <Tabs.List mb="sm">
          <Tabs.Tab value="agents">{t("reports.agents")}</Tabs.Tab>
          <Tabs.Tab value="queues">{t("reports.queues")}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="agents">{kind === "agents" && <AgentReport query={query} />}</Tabs.Panel>
        <Tabs.Panel value="queues">{kind === "queues" && <QueueReport query={query} />}</Tabs.Panel>
      </Tabs>
    </>
  );
}

interface ReportQuery {
  since?: string;
  until?: string;
  period: Period;
  tz: string;
  slSeconds: number;
}

function AgentReport({ query }: { query: ReportQuery }) {
  const { t } = useTranslation();
  const report = useQuery({
    queryKey: ["reports", "agents", query],
    queryFn: () => data(api.GET("/api/v1/reports/agents", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const r = report.data;
  return (
    <>
      <ErrorAlert error={report.error} />
      {r && (
        <BarChart
          title={t("reports.chartAgents")}
          points={sumByBucket(r.series, ["calls", "answered"])}
          series={[t("reports.calls"), t("reports.answered")]}
          period={query.period}
        />
      )}
      <Table striped fz="sm" mt="md" data-testid="agent-report">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("reports.agent")}</Table.Th>
            <Table.Th>{t("reports.calls")}</Table.Th>
            <Table.Th>{t("reports.answered")}</Table.Th>
            <Table.Th>{t("reports.answeredOutbound")}</Table.Th>
            <Table.Th>{t("reports.sales")}</Table.Th>
            <Table.Th>{t("reports.talkTime")}</Table.Th>
            <Table.Th>{t("reports.aht")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {r?.totals.map((a) => (
            <Table.Tr key={a.agentId}>
              <Table.Td>{a.agentName || a.agentId.slice(0, 8)}</Table.Td>
              <Table.Td>{a.calls}</Table.Td>
              <Table.Td>{a.answered}</Table.Td>
              <Table.Td>{a.answeredOutbound}</Table.Td>
              <Table.Td>{a.sales}</Table.Td>
              <Table.Td>{formatDuration(a.talkSeconds)}</Table.Td>
              <Table.Td>{formatDuration(a.avgHandleSeconds)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </>
  );
}

function QueueReport({ query }: { query: ReportQuery }) {
  const { t } = useTranslation();
  const report = useQuery({
    queryKey: ["reports", "queues", query],
    queryFn: () => data(api.GET("/api/v1/reports/queues", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const r = report.data;
  return (
    <>
      <ErrorAlert error={report.error} />
      {r && (
        <BarChart
          title={t("reports.chartQueues")}
          points={sumByBucket(r.series, ["offered", "answered", "abandoned"])}
          series={[t("reports.offered"), t("reports.answered"), t("reports.abandoned")]}
          period={query.period}
        />
      )}
      <Table striped fz="sm" mt="md" data-testid="queue-report">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("reports.queue")}</Table.Th>
            <Table.Th>{t("reports.offered")}</Table.Th>
            <Table.Th>{t("reports.answered")}</Table.Th>
            <Table.Th>{t("reports.abandoned")}</Table.Th>
            <Table.Th>{t("reports.serviceLevel")}</Table.Th>
            <Table.Th>{t("reports.avgWait")}</Table.Th>
            <Table.Th>{t("reports.avgAnswer")}</Table.Th>
            <Table.Th>{t("reports.longestWait")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {r?.totals.map((q) => (
            <Table.Tr key={q.queueId}>
              <Table.Td>{q.queueName || q.queueId.slice(0, 8)}</Table.Td>
              <Table.Td>{q.offered}</Table.Td>
              <Table.Td>{q.answered}</Table.Td>
              <Table.Td>{q.abandoned}</Table.Td>
              <Table.Td>{formatPercent(q.serviceLevel)}</Table.Td>
              <Table.Td>{formatDuration(q.avgWaitSeconds)}</Table.Td>
              <Table.Td>{formatDuration(q.avgAnswerSeconds)}</Table.Td>
              <Table.Td>{formatDuration(q.longestWaitSeconds)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </>
  );
}

function ReportExportButton({ kind, query }: { kind: Kind; query: ReportQuery }) {
  const { t, i18n } = useTranslation();
  const start = useMutation({
    mutationFn: () =>
      data(
        api.POST("/api/v1/reports/exports", {
          params: { query: { lang: i18n.language } },
          body: { kind, since: query.since ?? null, until: query.until ?? null, period: query.period, tz: query.tz, slSeconds: query.slSeconds },
        }),
      ),
  });
  const key = start.data?.key;
  const job = useQuery({
    queryKey: ["reports-export", key],
    queryFn: () => data(api.GET("/api/v1/reports/exports/{key}", { params: { path: { key: key! } } })),
    enabled: Boolean(key),
    refetchInterval: (q) => (q.state.data && ["done", "failed"].includes(q.state.data.status) ? false : 1000),
  });
  return <ExportStatus start={() => start.mutate()} pending={start.isPending} status={job.data?.status} rows={job.data?.rows} fileUrl={job.data?.fileUrl} error={start.error ?? job.error} label={t("reports.export")} />;
}
