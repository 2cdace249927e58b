// SEAT-8: the caller's previous calls in the screen pop, with the agent's own recordings
// playable in the page. The audio URL is the recordings API's (the portal's player uses it too):
// the server answers Range requests, so the <audio> element seeks. The server sends a URL only
// for a recording this agent may play (their own calls, REC-2); no customer number is listed.
// The pop mounts one per call (keyed by call id): a new caller stops what was playing.
import { Badge, Button, Table, Text, Tooltip } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../api/client";

import { callAgent, callDisposition, callDuration, callWhen, playable } from "./previousCalls";
import type { PreviousCall } from "./state";

export function PreviousCallsTable({ calls }: { calls: PreviousCall[] }) {
  const { t } = useTranslation();
  const [current, setCurrent] = useState<PreviousCall | null>(null);
  const audioRef = useRef<HTMLAudioElement | null>(null);
  const marked = useRef(new Set<string>());
  const mark = useMutation({
    mutationFn: (id: string) =>
      data(api.POST("/api/v1/recordings/{recording_id}/listened", { params: { path: { recording_id: id } } })),
  });

  const toggle = (call: PreviousCall) => {
    if (current?.recordingId === call.recordingId) {
      audioRef.current?.pause();
      setCurrent(null);
    } else {
      setCurrent(call);
    }
  };

  return (
    <>
      <Table.ScrollContainer minWidth={480}>
        <Table striped withTableBorder captionSide="top" verticalSpacing={4} horizontalSpacing={6} fz="sm" data-testid="pop-history">
          <Table.Caption style={{ textAlign: "start", fontWeight: 600, color: "var(--mantine-color-text)" }}>{t("seat.pop.previous")}</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t("seat.pop.history.when")}</Table.Th>
              <Table.Th scope="col">{t("seat.pop.history.direction")}</Table.Th>
              <Table.Th scope="col">{t("seat.pop.history.agent")}</Table.Th>
              <Table.Th scope="col">{t("seat.pop.history.duration")}</Table.Th>
              <Table.Th scope="col">{t("seat.pop.history.disposition")}</Table.Th>
              <Table.Th scope="col">{t("seat.pop.history.recording")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {calls.map((call) => {
              const when = callWhen(call.arrivedAt);
              const isPlaying = current !== null && current.recordingId === call.recordingId;
              const disposition = callDisposition(call);
              return (
                <Table.Tr key={call.callKey} data-testid="pop-history-row">
                  <Table.Td style={{ whiteSpace: "nowrap" }}>
                    <time dateTime={call.arrivedAt}>{when}</time>
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>
                    {t(`calls.directions.${call.direction}`, { defaultValue: call.direction })}
                    {!call.answered && (
                      <Badge ml={4} size="xs" color="red" variant="light">
                        {t("seat.pop.history.missed")}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }} title={callAgent(call)}>
                    {call.agentName || call.extension || "—"}
                    {call.agentName && call.extension && (
                      <Text size="xs" c="dimmed">
                        {call.extension}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>{callDuration(call) || "—"}</Table.Td>
                  <Table.Td>
                    {call.note ? (
                      <Tooltip label={call.note} multiline w={280} withinPortal>
                        <Text size="sm" span tabIndex={0} style={{ textDecoration: "underline dotted" }} aria-label={`${disposition}: ${call.note}`}>
                          {disposition || t("seat.pop.history.note")}
                        </Text>
                      </Tooltip>
                    ) : (
                      disposition || "—"
                    )}
                  </Table.Td>
                  <Table.Td>
                    {playable(call) ? (
                      <Button
                        size="compact-xs"
                        variant={isPlaying ? "filled" : "light"}
                        aria-pressed={isPlaying}
                        aria-label={t(isPlaying ? "seat.pop.history.stopLabel" : "seat.pop.history.playLabel", { when })}
                        onClick={() => toggle(call)}
                        data-testid="pop-history-play"
                      >
                        {isPlaying ? t("seat.pop.history.stop") : t("seat.pop.history.play")}
                      </Button>
                    ) : (
                      <Text span size="xs" c="dimmed">
                        —
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {current?.audioUrl && current.recordingId && (
        <audio
          ref={audioRef}
          key={current.recordingId}
          controls
          autoPlay
          preload="metadata"
          src={current.audioUrl}
          aria-label={t("seat.pop.history.playerLabel", { when: callWhen(current.arrivedAt) })}
          data-testid="pop-history-audio"
          style={{ width: "100%" }}
          onPlay={() => {
            const id = current.recordingId!;
            if (!marked.current.has(id)) {
              marked.current.add(id);
              mark.mutate(id);
            }
          }}
        />
      )}
    </>
  );
}
