// REC-5: call history on any combination of filters; a drawer with the call's legs and its
// recording; export of the search to Excel.
import { Anchor, Badge, Button, Drawer, Stack, Table, Text, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { type CallFilterState, EMPTY_FILTERS, formatDuration, toQuery } from "./model";
import { CallFilterForm, CallsExportButton, ListenedBadge, RecordingPlayer } from "./shared";

const LIMIT = 50;

export function CallsPage() {
  const { t, i18n } = useTranslation();
  const [filters, setFilters] = useState<CallFilterState>(EMPTY_FILTERS);
  const [offset, setOffset] = useState(0);
  const [openId, setOpenId] = useState<string | null>(null);
  const [debounced] = useDebouncedValue(filters, 300);
  const query = { ...toQuery(debounced), limit: LIMIT, offset };
  const list = useQuery({
    queryKey: ["calls", "search", query],
    queryFn: () => data(api.GET("/api/v1/calls/search", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const change = (next: CallFilterState) => {
    setFilters(next);
    setOffset(0);
  };

  return (
    <>
      <PageHeader title={t("calls.title")}>
        <CallsExportButton filters={debounced} />
      </PageHeader>
      <CallFilterForm value={filters} onChange={change} />
      <ErrorAlert error={list.error} />
      <Table.ScrollContainer minWidth={900}>
        <Table striped highlightOnHover data-testid="calls-table" fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("calls.at")}</Table.Th>
              <Table.Th>{t("calls.direction")}</Table.Th>
              <Table.Th>{t("calls.from")}</Table.Th>
              <Table.Th>{t("calls.to")}</Table.Th>
              <Table.Th>{t("calls.agent")}</Table.Th>
              <Table.Th>{t("calls.queue")}</Table.Th>
              <Table.Th>{t("calls.talk")}</Table.Th>
              <Table.Th>{t("calls.disposition")}</Table.Th>
              <Table.Th>{t("calls.satisfaction")}</Table.Th>
              <Table.Th>{t("calls.recording")}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.items.map((c) => (
              <Table.Tr key={c.id} data-testid="call-row" data-call-key={c.callKey}>
                <Table.Td>{new Date(c.arrivedAt).toLocaleString(i18n.language)}</Table.Td>
                <Table.Td>{t(`calls.directions.${c.direction as "inbound"}`, { defaultValue: c.direction })}</Table.Td>
                <Table.Td ff="monospace">{c.fromNumber}</Table.Td>
                <Table.Td ff="monospace">{c.toNumber}</Table.Td>
                <Table.Td>{c.agentName ?? c.extension ?? "—"}</Table.Td>
                <Table.Td>{c.queueName ?? "—"}</Table.Td>
                <Table.Td>{formatDuration(c.talkSeconds)}</Table.Td>
                <Table.Td>{c.disposition ?? "—"}</Table.Td>
                <Table.Td data-testid="satisfaction">{c.satisfaction ?? "—"}</Table.Td>
                <Table.Td>{c.recording ? <ListenedBadge recording={c.recording} /> : "—"}</Table.Td>
                <Table.Td>
                  <Button size="xs" variant="light" onClick={() => setOpenId(c.id)}>
                    {t("calls.details")}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {list.data && list.data.total === 0 && (
        <Text c="dimmed" mt="sm">
          {t("calls.noCalls")}
        </Text>
      )}
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
      <CallDrawer callId={openId} onClose={() => setOpenId(null)} />
    </>
  );
}

function When({ label, at }: { label: string; at?: string | null }) {
  const { i18n } = useTranslation();
  return (
    <Text size="sm">
      <Text span c="dimmed" size="sm">
        {label}:{" "}
      </Text>
      {at ? new Date(at).toLocaleString(i18n.language) : "—"}
    </Text>
  );
}

function CallDrawer({ callId, onClose }: { callId: string | null; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const detail = useQuery({
    queryKey: ["calls", "detail", callId],
    queryFn: () => data(api.GET("/api/v1/calls/{call_id}", { params: { path: { call_id: callId! } } })),
    enabled: Boolean(callId),
  });
  const c = detail.data;
  return (
    <Drawer opened={Boolean(callId)} onClose={onClose} position="right" size="lg" title={c ? t("calls.detailTitle", { key: c.callKey.slice(0, 12) }) : t("calls.details")}>
      <ErrorAlert error={detail.error} />
      {c && (
        <Stack gap="sm" data-testid="call-detail">
          <Text ff="monospace">
            {c.fromNumber} → {c.toNumber}
          </Text>
          <Badge variant="light">{t(`calls.directions.${c.direction as "inbound"}`, { defaultValue: c.direction })}</Badge>
          <When label={t("calls.arrived")} at={c.arrivedAt} />
          <When label={t("calls.answered")} at={c.answeredAt} />
          <When label={t("calls.bridged")} at={c.bridgedAt} />
          <When label={t("calls.ended")} at={c.endedAt} />
          <Text size="sm">
            {t("calls.duration")}: {formatDuration(c.durationSeconds)} · {t("calls.talk")}: {formatDuration(c.talkSeconds)}
            {c.waitSeconds != null && ` · ${t("calls.wait")}: ${formatDuration(c.waitSeconds)}`}
          </Text>
          <Text size="sm">
            {t("calls.agent")}: {c.agentName ?? c.extension ?? "—"} · {t("calls.queue")}: {c.queueName ?? "—"} · {t("calls.disposition")}: {c.disposition ?? "—"}
          </Text>
          <Text size="sm">
            {t("calls.hangup")}: {c.hangupCause || "—"}
            {c.hangupSide && ` (${t(`calls.hangupSides.${c.hangupSide as "customer"}`, { defaultValue: c.hangupSide })})`}
            {c.dtmf && ` · ${t("calls.dtmf")}: ${c.dtmf}`}
          </Text>
          <Title order={4}>{t("calls.recording")}</Title>
          {c.recording ? (
            <Stack gap={4}>
              <RecordingPlayer recording={c.recording} label={t("recordings.player", { at: new Date(c.arrivedAt).toLocaleString(i18n.language) })} />
              <Anchor href={c.recording.downloadUrl} size="sm" download>
                {t("calls.download")} ({formatDuration(c.recording.durationSeconds)})
              </Anchor>
            </Stack>
          ) : (
            <Text c="dimmed" size="sm">
              {t("calls.noRecording")}
            </Text>
          )}
          <Title order={4}>{t("calls.legs")}</Title>
          <Table fz="xs" data-testid="call-legs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("calls.legRole")}</Table.Th>
                <Table.Th>{t("calls.from")}</Table.Th>
                <Table.Th>{t("calls.to")}</Table.Th>
                <Table.Th>{t("calls.legStatus")}</Table.Th>
                <Table.Th>{t("calls.legCause")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {c.legs.map((leg, i) => (
                <Table.Tr key={i}>
                  <Table.Td>{String(leg.role ?? "")}</Table.Td>
                  <Table.Td ff="monospace">{String(leg.from ?? "")}</Table.Td>
                  <Table.Td ff="monospace">{String(leg.to ?? "")}</Table.Td>
                  <Table.Td>{String(leg.sipStatus ?? "")}</Table.Td>
                  <Table.Td>{String(leg.cause ?? "")}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      )}
    </Drawer>
  );
}

