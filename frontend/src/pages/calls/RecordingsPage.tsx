// REC-2: recordings on the same filters as calls plus my listened status; play in the page,
// mark (un)listened, download.
import { Anchor, Button, Group, Table, Text } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { type CallFilterState, EMPTY_FILTERS, formatBytes, formatDuration, toQuery } from "./model";
import { CallFilterForm, ListenedBadge, type RecordingInfo, RecordingPlayer } from "./shared";

const LIMIT = 25;

export function RecordingsPage() {
  const { t, i18n } = useTranslation();
  const [filters, setFilters] = useState<CallFilterState>(EMPTY_FILTERS);
  const [offset, setOffset] = useState(0);
  const [playing, setPlaying] = useState<string | null>(null);
  const [debounced] = useDebouncedValue(filters, 300);
  const filterQuery = toQuery(debounced);
  delete filterQuery.hasRecording; // every recording has one
  const query = { ...filterQuery, limit: LIMIT, offset };
  const list = useQuery({
    queryKey: ["recordings", "search", query],
    queryFn: () => data(api.GET("/api/v1/recordings", { params: { query } })),
    placeholderData: keepPreviousData,
  });

  return (
    <>
      <PageHeader title={t("recordings.title")} />
      <CallFilterForm
        value={filters}
        onChange={(next) => {
          setFilters(next);
          setOffset(0);
        }}
        recordings
      />
      <ErrorAlert error={list.error} />
      <Table.ScrollContainer minWidth={900}>
        <Table striped data-testid="recordings-table" fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("calls.at")}</Table.Th>
              <Table.Th>{t("calls.from")}</Table.Th>
              <Table.Th>{t("calls.to")}</Table.Th>
              <Table.Th>{t("calls.agent")}</Table.Th>
              <Table.Th>{t("recordings.length")}</Table.Th>
              <Table.Th>{t("recordings.size")}</Table.Th>
              <Table.Th>{t("recordings.listenedStatus")}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.items.map((c) =>
              c.recording ? (
                <RecordingRow
                  key={c.id}
                  at={new Date(c.arrivedAt).toLocaleString(i18n.language)}
                  from={c.fromNumber}
                  to={c.toNumber}
                  agent={c.agentName ?? c.extension ?? "—"}
                  recording={c.recording}
                  open={playing === c.recording.id}
                  onOpen={() => setPlaying(c.recording!.id)}
                />
              ) : null,
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {list.data && list.data.total === 0 && (
        <Text c="dimmed" mt="sm">
          {t("recordings.noRecordings")}
        </Text>
      )}
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
    </>
  );
}

interface RowProps {
  at: string;
  from: string;
  to: string;
  agent: string;
  recording: RecordingInfo;
  open: boolean;
  onOpen: () => void;
}

function RecordingRow({ at, from, to, agent, recording, open, onOpen }: RowProps) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const unmark = useMutation({
    mutationFn: () =>
      data(api.DELETE("/api/v1/recordings/{recording_id}/listened", { params: { path: { recording_id: recording.id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["recordings"] }),
  });
  return (
    <>
      <Table.Tr data-testid="recording-row">
        <Table.Td>{at}</Table.Td>
        <Table.Td ff="monospace">{from}</Table.Td>
        <Table.Td ff="monospace">{to}</Table.Td>
        <Table.Td>{agent}</Table.Td>
        <Table.Td>{formatDuration(recording.durationSeconds)}</Table.Td>
        <Table.Td>{formatBytes(recording.sizeBytes)}</Table.Td>
        <Table.Td>
          <ListenedBadge recording={recording} />
        </Table.Td>
        <Table.Td>
          <Group gap="xs" wrap="nowrap">
            <Button size="xs" variant="light" onClick={onOpen} disabled={open}>
              {t("recordings.play")}
            </Button>
            <Anchor href={recording.downloadUrl} size="sm" download>
              {t("recordings.download")}
            </Anchor>
            {recording.listened && (
              <Button size="xs" variant="subtle" onClick={() => unmark.mutate()} loading={unmark.isPending}>
                {t("recordings.markUnlistened")}
              </Button>
            )}
          </Group>
        </Table.Td>
      </Table.Tr>
      {open && (
        <Table.Tr>
          <Table.Td colSpan={8}>
            <RecordingPlayer recording={recording} label={t("recordings.player", { at })} />
          </Table.Td>
        </Table.Tr>
      )}
    </>
  );
}
