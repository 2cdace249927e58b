// IVR-3: walk the flow on the canvas (saved or not) as a caller would: a number, a time, the
// keys typed each time the flow listens. Shows what is played and said; the editor lights the
// path on the canvas.
import { ActionIcon, Badge, Button, Group, List, Stack, Text, TextInput, Title } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { ErrorAlert } from "../../components/ErrorAlert";
import { flowErrorsOf } from "../errors";
import { atFromInput, localInputValue } from "../sim";
import type { FlowDocument, FlowError, SimulateOut } from "../types";

interface Props {
  document: () => FlowDocument;
  onResult: (result: SimulateOut | null) => void;
  onInvalid: (errors: FlowError[]) => void;
  onReplay: () => void;
  nodeName: (id: string) => string;
}

export function SimulatorPanel({ document, onResult, onInvalid, onReplay, nodeName }: Props) {
  const { t } = useTranslation();
  const [caller, setCaller] = useState("13800138000");
  const [at, setAt] = useState(() => localInputValue(new Date()));
  const [steps, setSteps] = useState<string[]>([""]);
  const run = useMutation({
    mutationFn: () =>
      data(
        api.POST("/api/v1/ivr/simulate", {
          body: { document: document(), callerNumber: caller, at: atFromInput(at), digits: steps },
        }),
      ),
    onMutate: () => onResult(null),
    onSuccess: onResult,
    onError: (error) => {
      const errors = flowErrorsOf(error);
      if (errors) onInvalid(errors);
    },
  });
  const result = run.data;
  const setStep = (index: number, value: string) => setSteps(steps.map((s, i) => (i === index ? value.replace(/[^0-9*#]/g, "") : s)));

  return (
    <Stack gap="sm" data-testid="ivr-simulator">
      <TextInput label={t("ivr.sim.caller")} value={caller} onChange={(e) => setCaller(e.currentTarget.value)} inputMode="tel" />
      <TextInput label={t("ivr.sim.at")} type="datetime-local" value={at} onChange={(e) => setAt(e.currentTarget.value)} />
      <Text size="sm" fw={500}>
        {t("ivr.sim.steps")}
      </Text>
      <Text size="xs" c="dimmed" mt={-8}>
        {t("ivr.sim.stepHint")}
      </Text>
      {steps.map((value, index) => (
        <Group key={index} gap="xs" wrap="nowrap" align="end">
          <TextInput label={t("ivr.sim.step", { n: index + 1 })} value={value} onChange={(e) => setStep(index, e.currentTarget.value)} inputMode="numeric" style={{ flex: 1 }} />
          <ActionIcon variant="default" size="lg" aria-label={t("ivr.sim.removeStep", { n: index + 1 })} onClick={() => setSteps(steps.filter((_, i) => i !== index))}>
            ×
          </ActionIcon>
        </Group>
      ))}
      <Group gap="xs">
        <Button size="xs" variant="default" onClick={() => setSteps([...steps, ""])}>
          {t("ivr.sim.addStep")}
        </Button>
        <Button size="xs" onClick={() => run.mutate()} loading={run.isPending}>
          {t("ivr.sim.run")}
        </Button>
        {result && (
          <Button size="xs" variant="subtle" onClick={onReplay}>
            {t("ivr.sim.replay")}
          </Button>
        )}
      </Group>
      <ErrorAlert error={run.error} />
      {result && <SimResult result={result} nodeName={nodeName} />}
    </Stack>
  );
}

function SimResult({ result, nodeName }: { result: SimulateOut; nodeName: (id: string) => string }) {
  const { t } = useTranslation();
  return (
    <Stack gap="xs" data-testid="ivr-sim-result">
      <Badge color={result.ended === "left_ivr" ? "green" : "yellow"} data-testid="ivr-sim-ended">
        {t(`ivr.sim.ended.${result.ended}`)}
      </Badge>
      {result.final && (
        <Text size="sm" data-testid="ivr-sim-final">
          {t("ivr.sim.final", { action: result.final.action, node: nodeName(result.final.nodeId) })}
        </Text>
      )}
      <Title order={5}>{t("ivr.sim.heard")}</Title>
      {result.heard.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t("ivr.sim.nothingHeard")}
        </Text>
      ) : (
        <List type="ordered" size="sm" data-testid="ivr-sim-heard">
          {result.heard.map((h, i) => (
            <List.Item key={i}>
              <Text span size="xs" c="dimmed">
                {nodeName(h.nodeId)} · {t(`ivr.sim.${h.kind}`)}:{" "}
              </Text>
              {h.kind === "play" ? h.prompt : `“${h.text}” (${h.voice})`}
            </List.Item>
          ))}
        </List>
      )}
      <Title order={5}>{t("ivr.sim.path")}</Title>
      <List type="ordered" size="sm" data-testid="ivr-sim-path">
        {result.path.map((step, i) => (
          <List.Item key={i} style={{ marginLeft: step.depth * 12 }}>
            {nodeName(step.nodeId)}
            {step.exit ? ` → ${step.exit}` : ""}
          </List.Item>
        ))}
      </List>
      {Object.keys(result.variables).length > 0 && (
        <>
          <Title order={5}>{t("ivr.sim.variables")}</Title>
          <List size="xs">
            {Object.entries(result.variables).map(([k, v]) => (
              <List.Item key={k}>
                {k} = {v}
              </List.Item>
            ))}
          </List>
        </>
      )}
    </Stack>
  );
}
