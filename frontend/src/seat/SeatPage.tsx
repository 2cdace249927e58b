// The agent seat console (SEAT-2 states, SEAT-5 all-busy light, SEAT-6 screen pop, SEAT-1
// WebRTC seat): the CTI socket `/api/v1/cti/ws` drives the state bar and the pop; state
// changes go through the CTI REST routes; the softphone is JsSIP over WebSocket to Kamailio.
import { Badge, Button, Card, Grid, Group, Select, Stack, Text, Title, Tooltip } from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router-dom";

import { api } from "../api/client";
import { useSession } from "../auth/session";
import { ErrorAlert } from "../components/ErrorAlert";
import { LanguageSwitch } from "../components/LanguageSwitch";
import { ScreenPopCard } from "./ScreenPopCard";
import { CallControlCard } from "./CallControlCard";
import { KnowledgePanel } from "./KnowledgePanel";
import { Marquee } from "./Marquee";
import { TodayCard } from "./TodayCard";
import { SoftphoneCard } from "./SoftphoneCard";
import { WrapupCard } from "./WrapupCard";
import {
  actionsFor,
  allBusy,
  applyStatus,
  elapsed,
  formatDuration,
  initialSeat,
  reduceSeat,
  type SeatModel,
  wrapupTarget,
} from "./state";
import { useLiveSocket, useNow } from "./useLiveSocket";

type StateAction = "sign-in" | "sign-out" | "ready" | "not-ready" | "end-acw";

async function stateAction(action: StateAction, reason: string): Promise<Record<string, unknown>> {
  const result =
    action === "sign-in"
      ? await api.POST("/api/v1/cti/sign-in", { body: { ready: false, reason } })
      : action === "not-ready"
        ? await api.POST("/api/v1/cti/not-ready", { body: { reason } })
        : await api.POST(`/api/v1/cti/${action}`);
  return (result.data ?? {}) as Record<string, unknown>;
}

export function SeatPage() {
  const { t } = useTranslation();
  const { tenant } = useSession();
  const [model, setModel] = useState<SeatModel>(initialSeat);
  const now = useNow();
  const onMessage = useCallback(
    (msg: Record<string, unknown>) => setModel((m) => reduceSeat(m, msg, Date.now())),
    [],
  );
  const socket = useLiveSocket("/api/v1/cti/ws", onMessage);
  const [reason, setReason] = useState<string | null>(null);
  const [phoneCallKey, setPhoneCallKey] = useState("");
  const marquee = useQuery({
    queryKey: ["cti", "marquee"],
    queryFn: async () => (await api.GET("/api/v1/cti/marquee")).data?.messages ?? [],
  });
  const mutation = useMutation({
    mutationFn: ({ action, why }: { action: StateAction; why: string }) => stateAction(action, why),
    onSuccess: (result) => {
      if (typeof result.state === "string") setModel((m) => applyStatus(m, result, Date.now()));
    },
  });
  const reasonCode = reason ?? model.reasons[0]?.code ?? "";
  const can = actionsFor(model.state);
  const busyQueues = useMemo(() => model.queues.filter((q) => q.allBusy).map((q) => q.name), [model.queues]);
  const run = (action: StateAction) => mutation.mutate({ action, why: reasonCode });
  const reasonLabel = model.reasons.find((r) => r.code === model.reason)?.label ?? model.reason;

  if (socket.refused === 4404) {
    return (
      <Stack component="main" p="md">
        <Title order={1}>{t("seat.title")}</Title>
        <Text role="alert">{t("seat.noProfile")}</Text>
        <Button component={Link} to="/portal" variant="subtle" w="fit-content">
          {t("faces.back")}
        </Button>
      </Stack>
    );
  }

  return (
    <Stack component="main" p="md" gap="md">
      <Group justify="space-between">
        <Group>
          <Title order={1}>{t("seat.title")}</Title>
          <Badge color={socket.open ? "green" : "gray"} data-testid="cti-connection">
            {t("seat.cti")}: {socket.open ? t("seat.connected") : t("seat.disconnected")}
          </Badge>
          <Tooltip label={allBusy(model) ? t("seat.allBusy", { queues: busyQueues.join(", ") }) : t("seat.queuesOk")}>
            <Badge
              color={allBusy(model) ? "red" : "green"}
              variant={allBusy(model) ? "filled" : "light"}
              data-testid="all-busy"
              data-busy={allBusy(model)}
              role="status"
            >
              {allBusy(model) ? t("seat.allBusy", { queues: busyQueues.join(", ") }) : t("seat.queuesOk")}
            </Badge>
          </Tooltip>
        </Group>
        <Group>
          <LanguageSwitch />
          <Button component={Link} to="/portal" variant="subtle">
            {t("faces.back")}
          </Button>
        </Group>
      </Group>

      <Marquee messages={model.marquee ?? marquee.data ?? []} />

      <Card withBorder data-testid="state-bar" aria-label={t("seat.state")}>
        <Group justify="space-between" wrap="wrap">
          <Group>
            <Badge size="xl" data-testid="seat-state" data-state={model.state}>
              {t(`seat.states.${model.state}`)}
            </Badge>
            {model.state === "not_ready" && reasonLabel && <Text data-testid="seat-reason">{reasonLabel}</Text>}
            <Text size="sm" c="dimmed">
              {t("seat.inState")}: <span data-testid="state-timer">{formatDuration(elapsed(model.stateSince, now))}</span>
            </Text>
            {model.state === "after_call_work" && (
              <Text size="sm" fw={600}>
                {t("seat.acwTimer")}: <span data-testid="acw-timer">{formatDuration(elapsed(model.stateSince, now))}</span>
              </Text>
            )}
            {model.callSince > 0 && (
              <Text size="sm" fw={600}>
                {t("seat.callTimer")}: <span data-testid="call-timer">{formatDuration(elapsed(model.callSince, now))}</span>
              </Text>
            )}
            <Text size="sm" c="dimmed">
              {t("seat.callsTaken", { n: model.callsTaken })}
            </Text>
          </Group>
          <Group>
            {can.signIn && (
              <Button onClick={() => run("sign-in")} loading={mutation.isPending}>
                {t("seat.signIn")}
              </Button>
            )}
            {can.ready && (
              <Button color="green" onClick={() => run("ready")} loading={mutation.isPending}>
                {t("seat.ready")}
              </Button>
            )}
            {can.notReady && (
              <>
                <Select
                  aria-label={t("seat.reason")}
                  placeholder={t("seat.reason")}
                  data={model.reasons.map((r) => ({ value: r.code, label: r.label }))}
                  value={reasonCode}
                  onChange={setReason}
                  w={160}
                  allowDeselect={false}
                />
                <Button color="orange" onClick={() => run("not-ready")} disabled={!reasonCode} loading={mutation.isPending}>
                  {t("seat.notReady")}
                </Button>
              </>
            )}
            {can.endAcw && (
              <Button variant="light" onClick={() => run("end-acw")} loading={mutation.isPending}>
                {t("seat.endAcw")}
              </Button>
            )}
            {can.signOut && (
              <Button variant="default" onClick={() => run("sign-out")} loading={mutation.isPending}>
                {t("seat.signOut")}
              </Button>
            )}
          </Group>
        </Group>
        <ErrorAlert error={mutation.error} />
      </Card>

      <Grid>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Stack gap="md">
            <SoftphoneCard extension={model.extension} tenant={tenant} onCallKey={setPhoneCallKey} />
            <TodayCard reminders={model.reminders} callsTaken={model.callsTaken} />
            {model.callId && (model.state === "talking" || model.state === "hold") && (
              <CallControlCard callId={model.callId} />
            )}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Stack gap="md">
            <ScreenPopCard pop={model.pop} />
            <KnowledgePanel onCall={model.state === "talking" && Boolean(model.callId)} />
            <WrapupCard callId={wrapupTarget(model, phoneCallKey)} />
          </Stack>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
