// Call control from the CTI (SEAT-6, IVR-7): transfer (blind or after a consultation) to a
// number, an agent, a queue or an IVR flow; 3-way conference; send the caller into a flow and
// get them back. Callcontrol does the work; the softphone keeps its one call throughout.
import { Alert, Button, Card, Group, SegmentedControl, Select, Stack, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api } from "../api/client";
import { ErrorAlert } from "../components/ErrorAlert";
import { allowedActions, commandBody, TARGET_KINDS, type TargetKind } from "./callControl";

type Action = "transfer" | "conference" | "ivr_and_back" | "complete_transfer" | "cancel_transfer";

async function loadTargets() {
  const { data, error } = await api.GET("/api/v1/cti/transfer-targets");
  if (error) throw error;
  return data;
}

export function CallControlCard({ callId }: { callId: string }) {
  const { t } = useTranslation();
  const [kind, setKind] = useState<TargetKind>("external");
  const [target, setTarget] = useState("");
  const [consulting, setConsulting] = useState(false);
  const [done, setDone] = useState("");
  const targets = useQuery({ queryKey: ["cti", "transfer-targets"], queryFn: loadTargets, staleTime: 30_000 });
  const run = useMutation({
    mutationFn: async ({ action, mode }: { action: Action; mode?: "blind" | "attended" }) => {
      const { data, error } = await api.POST("/api/v1/cti/calls/{action}", {
        params: { path: { action } },
        body: commandBody(callId, kind, target, mode),
      });
      if (error) throw error;
      return data;
    },
    onSuccess: (_, { action, mode }) => {
      setConsulting(action === "transfer" && mode === "attended");
      setDone(t(`seat.control.done.${action === "transfer" && mode === "attended" ? "consult" : action}`));
    },
  });
  const can = allowedActions(kind);
  const options = kind === "agent" ? targets.data?.agents : kind === "queue" ? targets.data?.queues : targets.data?.flows;
  const act = (action: Action, mode?: "blind" | "attended") => run.mutate({ action, mode });

  return (
    <Card withBorder data-testid="call-control" aria-label={t("seat.control.title")}>
      <Stack gap="xs">
        <Title order={2} size="h4">
          {t("seat.control.title")}
        </Title>
        {consulting ? (
          <Group>
            <Button color="green" onClick={() => act("complete_transfer")} loading={run.isPending}>
              {t("seat.control.complete")}
            </Button>
            <Button variant="default" onClick={() => act("cancel_transfer")} loading={run.isPending}>
              {t("seat.control.cancel")}
            </Button>
          </Group>
        ) : (
          <>
            <SegmentedControl
              aria-label={t("seat.control.kind")}
              value={kind}
              onChange={(v) => {
                setKind(v as TargetKind);
                setTarget("");
                setDone("");
              }}
              data={TARGET_KINDS.map((k) => ({ value: k, label: t(`seat.control.kinds.${k}`) }))}
            />
            {kind === "external" ? (
              <TextInput label={t("seat.control.number")} value={target} onChange={(e) => setTarget(e.currentTarget.value)} />
            ) : (
              <Select
                label={t(`seat.control.kinds.${kind}`)}
                data={(options ?? []).map((o) => ({ value: o.id, label: o.name }))}
                value={target || null}
                onChange={(v) => setTarget(v ?? "")}
                searchable
                nothingFoundMessage={t("seat.control.none")}
              />
            )}
            <Group gap="xs">
              <Button onClick={() => act("transfer", "blind")} disabled={!target} loading={run.isPending}>
                {t("seat.control.transfer")}
              </Button>
              {can.consult && (
                <Button variant="light" onClick={() => act("transfer", "attended")} disabled={!target} loading={run.isPending}>
                  {t("seat.control.consult")}
                </Button>
              )}
              {can.conference && (
                <Button variant="light" onClick={() => act("conference")} disabled={!target} loading={run.isPending}>
                  {t("seat.control.conference")}
                </Button>
              )}
              {can.ivrAndBack && (
                <Button variant="light" onClick={() => act("ivr_and_back")} disabled={!target} loading={run.isPending}>
                  {t("seat.control.ivrAndBack")}
                </Button>
              )}
            </Group>
          </>
        )}
        {done && !run.isPending && !run.error && (
          <Alert color="green" role="status" data-testid="call-control-done">
            {done}
          </Alert>
        )}
        <ErrorAlert error={run.error ?? targets.error} />
      </Stack>
    </Card>
  );
}
