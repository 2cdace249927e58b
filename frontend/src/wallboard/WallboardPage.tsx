// SEAT-8 wallboard and SEAT-7 supervisor actions: the snapshot and the live rows come from
// `/api/v1/wallboard/ws` (app/seats/README.md "Wallboard"); times tick here in the browser.
import { Alert, Badge, Button, Card, Group, Stack, Table, Text, Title } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, Navigate } from "react-router-dom";

import { api } from "../api/client";
import { ProblemError, toProblem } from "../api/problem";
import { can, homeFor } from "../auth/permissions";
import { useSession } from "../auth/session";
import { MarqueeEditor } from "./MarqueeEditor";
import { ErrorAlert } from "../components/ErrorAlert";
import { LanguageSwitch } from "../components/LanguageSwitch";
import { useLiveSocket, useNow } from "../seat/useLiveSocket";
import { formatDuration } from "../seat/state";
import {
  type AgentRow,
  CALL_ACTIONS,
  type CallAction,
  callActionPath,
  callActionPerm,
  emptyBoard,
  formatServiceLevel,
  inState,
  longestWait,
  reduceBoard,
  supervisorActions,
} from "./model";

type Action = CallAction | "forceReady" | "forceSignOut";

const STATE_COLOR: Record<string, string> = {
  ready: "green",
  not_ready: "orange",
  ringing: "yellow",
  talking: "blue",
  hold: "grape",
  after_call_work: "cyan",
  signed_out: "gray",
};

/** POST the supervisor action. The server's problem (409 no call / no seat, 404, 503 when
 * callcontrol does not answer) is shown as it is. Listen, whisper and barge ring the
 * supervisor's own seat, which joins the call when answered. */
async function perform(action: Action, agent: string): Promise<unknown> {
  if (action === "forceReady" || action === "forceSignOut") {
    const path =
      action === "forceReady"
        ? "/api/v1/cti/agents/{user_id}/force-ready"
        : "/api/v1/cti/agents/{user_id}/force-sign-out";
    const result = await api.POST(path, { params: { path: { user_id: agent } } });
    return result.data;
  }
  const response = await fetch(callActionPath(action, agent), {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw new ProblemError(toProblem(response.status, body, response.statusText));
  return body;
}

export function WallboardPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const [board, setBoard] = useState(emptyBoard);
  const now = useNow();
  const onMessage = useCallback(
    (msg: Record<string, unknown>) => setBoard((b) => reduceBoard(b, msg, Date.now())),
    [],
  );
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "Asia/Shanghai";
  const socket = useLiveSocket(`/api/v1/wallboard/ws?tz=${encodeURIComponent(tz)}`, onMessage);
  const [done, setDone] = useState("");
  const action = useMutation({
    mutationFn: ({ kind, row }: { kind: Action; row: AgentRow }) => perform(kind, row.agent),
    onSuccess: (_r, { kind, row }) => setDone(t("wallboard.done", { action: t(`wallboard.${kind}`), name: row.name })),
    onError: () => setDone(""),
  });
  if (!can(me.role, "wallboard")) return <Navigate to={homeFor(me.role)} replace />;

  return (
    <Stack component="main" p="md" gap="md">
      <Group justify="space-between">
        <Group>
          <Title order={1}>{t("wallboard.title")}</Title>
          <Badge color={socket.open ? "green" : "gray"} data-testid="wallboard-live">
            {socket.open ? t("wallboard.live") : t("wallboard.offline")}
          </Badge>
        </Group>
        <Group>
          <LanguageSwitch />
          <Button component={Link} to="/portal" variant="subtle">
            {t("faces.back")}
          </Button>
        </Group>
      </Group>
      <ErrorAlert error={action.error} />
      {done && (
        <Alert color="green" role="status">
          {done}
        </Alert>
      )}
      <Card withBorder>
        <Title order={2} size="h3" mb="sm">
          {t("wallboard.queues")}
        </Title>
        {board.queues.length === 0 ? (
          <Text c="dimmed">{t("wallboard.noQueues")}</Text>
        ) : (
          <Table striped data-testid="wallboard-queues">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("wallboard.queue")}</Table.Th>
                <Table.Th>{t("wallboard.waiting")}</Table.Th>
                <Table.Th>{t("wallboard.longestWait")}</Table.Th>
                <Table.Th>{t("wallboard.staffed")}</Table.Th>
                <Table.Th>{t("wallboard.answered")}</Table.Th>
                <Table.Th>{t("wallboard.abandoned")}</Table.Th>
                <Table.Th>{t("wallboard.serviceLevel")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {board.queues.map((q) => (
                <Table.Tr key={q.queue} data-queue={q.queue}>
                  <Table.Td>
                    {q.name}{" "}
                    {q.allBusy && (
                      <Badge color="red" size="sm">
                        {t("wallboard.allBusy")}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{q.waiting}</Table.Td>
                  <Table.Td>{formatDuration(longestWait(q, now))}</Table.Td>
                  <Table.Td>
                    {q.readyAgents ?? 0} / {q.staffedAgents ?? 0}
                  </Table.Td>
                  <Table.Td>{q.answeredToday}</Table.Td>
                  <Table.Td>{q.abandonedToday}</Table.Td>
                  <Table.Td>{formatServiceLevel(q.serviceLevel)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Card>
      <Card withBorder>
        <Title order={2} size="h3" mb="sm">
          {t("wallboard.agents")}
        </Title>
        {board.agents.length === 0 ? (
          <Text c="dimmed">{t("wallboard.noAgents")}</Text>
        ) : (
          <Table striped data-testid="wallboard-agents">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("wallboard.agent")}</Table.Th>
                <Table.Th>{t("wallboard.extension")}</Table.Th>
                <Table.Th>{t("wallboard.state")}</Table.Th>
                <Table.Th>{t("wallboard.reason")}</Table.Th>
                <Table.Th>{t("wallboard.inState")}</Table.Th>
                <Table.Th>{t("wallboard.callsToday")}</Table.Th>
                <Table.Th>{t("wallboard.actions")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {board.agents.map((row) => {
                const allowed = supervisorActions(row.state);
                const force = can(me.role, "agents.force");
                const button = (kind: Action, enabled: boolean) => (
                  <Button
                    key={kind}
                    size="compact-xs"
                    variant="light"
                    disabled={!enabled || action.isPending}
                    onClick={() => action.mutate({ kind, row })}
                  >
                    {t(`wallboard.${kind}`)}
                  </Button>
                );
                return (
                  <Table.Tr key={row.agent} data-agent={row.agent} data-testid="wallboard-agent">
                    <Table.Td>{row.name}</Table.Td>
                    <Table.Td>{row.extension ?? "—"}</Table.Td>
                    <Table.Td>
                      <Badge color={STATE_COLOR[row.state] ?? "gray"} data-testid="agent-state" data-state={row.state}>
                        {t(`wallboard.states.${row.state}`, { defaultValue: row.state })}
                      </Badge>
                    </Table.Td>
                    <Table.Td data-testid="agent-reason">{row.reason}</Table.Td>
                    <Table.Td data-testid="agent-in-state">{formatDuration(inState(row, now))}</Table.Td>
                    <Table.Td>{row.callsToday}</Table.Td>
                    <Table.Td>
                      <Group gap={4} wrap="nowrap">
                        {CALL_ACTIONS.filter((kind) => can(me.role, callActionPerm(kind))).map((kind) =>
                          button(kind, allowed.monitor),
                        )}
                        {force && button("forceReady", allowed.forceReady)}
                        {force && button("forceSignOut", allowed.forceSignOut)}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        )}
      </Card>
      {can(me.role, "marquee.write") && <MarqueeEditor />}
    </Stack>
  );
}
