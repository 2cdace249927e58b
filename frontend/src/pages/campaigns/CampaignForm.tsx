// The campaign's settings: mode, dates, calling windows, time zone, trunk and caller ID,
// retry rules per outcome, pacing ratios and abandonment target, agents, script; for
// notification campaigns the message and its DTMF survey (DIAL-8), for agent campaigns the
// message left on answering machines.
import { ActionIcon, Button, Checkbox, Chip, Group, MultiSelect, NumberInput, Paper, Select, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { useBusinessOptions } from "../../api/lookups";
import { ErrorAlert } from "../../components/ErrorAlert";
import { FormActions, useInvalidatingMutation } from "../../components/crud";
import { useUsers } from "../../components/lookups";
import { useTrunkOptions } from "../trunks/lookups";
import { CAMPAIGNS } from "./CampaignsPage";
import { AGENT_DIALLING, campaignBody, DAYS, draftFromCampaign, hasMessage, MODES, nextSurveyKey, RETRY_OUTCOMES, SURVEY_KEYS, validateCampaign, VOICES, type CampaignDraft, type CampaignOut, type Errors, type RetryRow, type SurveyKeyRow, type Voice, type WindowRow } from "./model";

type Option = { value: string; label: string };

function zones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const all = intl.supportedValuesOf?.("timeZone") ?? [];
  return all.includes("Asia/Shanghai") ? all : ["Asia/Shanghai", ...all];
}

export function CampaignForm({ campaign, writable, onSaved }: { campaign: CampaignOut | null; writable: boolean; onSaved: (c: CampaignOut) => void }) {
  const { t } = useTranslation();
  const businesses = useBusinessOptions();
  const users = useUsers();
  const trunks = useTrunkOptions();
  const groups = useQuery({ queryKey: ["dialer", "groups"], queryFn: () => data(api.GET("/api/v1/dialer/groups")) });
  const prompts = useQuery({
    queryKey: ["ivr", "prompts", "options"],
    queryFn: () => data(api.GET("/api/v1/ivr/prompts", { params: { query: { limit: 200 } } })),
    select: (page) => page.items.map((p) => ({ value: p.id, label: p.name })),
  });
  const zoneOptions = useMemo(zones, []);
  const [draft, setDraft] = useState<CampaignDraft>(() => draftFromCampaign(campaign));
  const [errors, setErrors] = useState<Errors>({});
  const [saved, setSaved] = useState(false);
  const set = <K extends keyof CampaignDraft>(key: K, value: CampaignDraft[K]) => {
    setSaved(false);
    setDraft((d) => ({ ...d, [key]: value }));
  };
  const err = (path: string) => (errors[path] ? t(`dialer.errors.${errors[path]}`) : undefined);
  const setWindow = (i: number, patch: Partial<WindowRow>) => set("windows", draft.windows.map((w, j) => (j === i ? { ...w, ...patch } : w)));
  const setRetry = (o: (typeof RETRY_OUTCOMES)[number], patch: Partial<RetryRow>) => set("retry", { ...draft.retry, [o]: { ...draft.retry[o], ...patch } });
  const setKey = (i: number, patch: Partial<SurveyKeyRow>) => set("surveyKeys", draft.surveyKeys.map((k, j) => (j === i ? { ...k, ...patch } : k)));

  const save = useInvalidatingMutation(
    [CAMPAIGNS],
    () => {
      const body = campaignBody(draft);
      return campaign?.id
        ? data(api.PUT("/api/v1/dialer/campaigns/{campaign_id}", { params: { path: { campaign_id: campaign.id } }, body }))
        : data(api.POST("/api/v1/dialer/campaigns", { body }));
    },
    (c) => {
      setSaved(true);
      onSaved(c);
    },
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateCampaign(draft);
    setErrors(found);
    if (Object.keys(found).length === 0) save.mutate();
  };
  const agentOptions = (users.data ?? []).filter((u) => u.isActive).map((u) => ({ value: u.id, label: `${u.displayName} (${t(`roles.${u.role}`)})` }));
  const groupOptions = (groups.data ?? []).map((g) => ({ value: g.id, label: g.name }));
  const ro = !writable;

  return (
    <form onSubmit={submit} noValidate aria-label={t("dialer.settings")}>
      <Stack gap="md">
        <ErrorAlert error={save.error} />
        <SimpleGrid cols={3} spacing="sm">
          <TextInput label={t("common.name")} value={draft.name} onChange={(e) => set("name", e.currentTarget.value)} error={err("name")} required readOnly={ro} />
          <Select label={t("dialer.mode")} data={MODES.map((m) => ({ value: m, label: t(`dialer.modes.${m}`) }))} value={draft.mode} onChange={(v) => v && set("mode", v as CampaignDraft["mode"])} allowDeselect={false} disabled={ro} />
          <Select label={t("acd.business")} data={businesses.data ?? []} value={draft.businessId} onChange={(v) => set("businessId", v)} clearable placeholder={t("common.none")} disabled={ro} />
          <TextInput label={t("dialer.startsOn")} type="date" value={draft.startsOn} onChange={(e) => set("startsOn", e.currentTarget.value)} error={err("startsOn")} readOnly={ro} />
          <TextInput label={t("dialer.endsOn")} type="date" value={draft.endsOn} onChange={(e) => set("endsOn", e.currentTarget.value)} error={err("endsOn")} readOnly={ro} />
          <Select label={t("dialer.timezone")} data={zoneOptions} value={draft.timezone} onChange={(v) => v && set("timezone", v)} searchable allowDeselect={false} error={err("timezone")} disabled={ro} limit={50} />
        </SimpleGrid>

        <Paper withBorder p="sm">
          <Title order={3} size="h6" mb={4}>
            {t("dialer.windows")}
          </Title>
          <Text size="xs" c="dimmed" mb="xs">
            {t("dialer.windowsHint")}
          </Text>
          <Stack gap="xs">
            {draft.windows.map((w, i) => (
              <Group key={i} gap="xs" align="start" wrap="nowrap">
                <TextInput type="time" aria-label={t("dialer.windowStart", { n: i + 1 })} value={w.start} onChange={(e) => setWindow(i, { start: e.currentTarget.value })} error={err(`windows.${i}.start`)} w={120} readOnly={ro} />
                <TextInput type="time" aria-label={t("dialer.windowEnd", { n: i + 1 })} value={w.end} onChange={(e) => setWindow(i, { end: e.currentTarget.value })} error={err(`windows.${i}.end`)} w={120} readOnly={ro} />
                <Chip.Group multiple value={w.days.map(String)} onChange={(v) => setWindow(i, { days: v.map(Number) })}>
                  <Group gap={4} mt={6} role="group" aria-label={t("dialer.windowDays", { n: i + 1 })}>
                    {DAYS.map((d) => (
                      <Chip key={d} value={String(d)} size="xs" disabled={ro}>
                        {t(`dialer.days.${d}`)}
                      </Chip>
                    ))}
                  </Group>
                </Chip.Group>
                {writable && (
                  <ActionIcon variant="subtle" color="red" mt={4} aria-label={t("dialer.removeWindow", { n: i + 1 })} onClick={() => set("windows", draft.windows.filter((_, j) => j !== i))}>
                    ×
                  </ActionIcon>
                )}
              </Group>
            ))}
            {writable && (
              <Group>
                <Button size="xs" variant="light" onClick={() => set("windows", [...draft.windows, { start: "09:00", end: "12:00", days: [] }])}>
                  {t("dialer.addWindow")}
                </Button>
              </Group>
            )}
          </Stack>
        </Paper>

        <SimpleGrid cols={4} spacing="sm">
          <Select label={t("dialer.trunkId")} description={t("dialer.trunkHint")} data={trunks.data ?? []} value={draft.trunkId || null} onChange={(v) => set("trunkId", v ?? "")} clearable placeholder={t("common.none")} error={err("trunkId")} readOnly={ro} />
          <TextInput label={t("dialer.callerId")} value={draft.callerId} onChange={(e) => set("callerId", e.currentTarget.value)} error={err("callerId")} readOnly={ro} inputMode="tel" />
          <NumberInput label={t("dialer.maxChannels")} value={draft.maxChannels} onChange={(v) => set("maxChannels", v)} min={1} max={10000} allowDecimal={false} error={err("maxChannels")} readOnly={ro} />
          <NumberInput label={t("dialer.minRingSeconds")} value={draft.minRingSeconds} onChange={(v) => set("minRingSeconds", v)} min={0} max={120} error={err("minRingSeconds")} readOnly={ro} />
          <NumberInput label={t("dialer.targetAbandon")} value={draft.targetAbandonPercent} onChange={(v) => set("targetAbandonPercent", v)} min={0.1} max={20} step={0.5} decimalScale={2} suffix="%" error={err("targetAbandonPercent")} readOnly={ro} />
          <NumberInput label={t("dialer.maxRatio")} value={draft.maxRatio} onChange={(v) => set("maxRatio", v)} min={1} max={20} step={0.5} decimalScale={2} error={err("maxRatio")} readOnly={ro} />
          <NumberInput label={t("dialer.manualRatio")} description={t("dialer.manualRatioHint")} value={draft.manualRatio} onChange={(v) => set("manualRatio", v)} min={1} max={20} step={0.5} decimalScale={2} error={err("manualRatio")} readOnly={ro} />
          <NumberInput label={t("dialer.maxAttempts")} value={draft.maxAttempts} onChange={(v) => set("maxAttempts", v)} min={1} max={50} allowDecimal={false} error={err("maxAttempts")} readOnly={ro} />
        </SimpleGrid>

        <Paper withBorder p="sm">
          <Title order={3} size="h6" mb={4}>
            {t("dialer.retryRules")}
          </Title>
          <Table data-testid="retry-rules" withRowBorders={false}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("dialer.outcome")}</Table.Th>
                <Table.Th>{t("dialer.retry")}</Table.Th>
                <Table.Th>{t("dialer.delayMinutes")}</Table.Th>
                <Table.Th>{t("dialer.ruleMaxAttempts")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {RETRY_OUTCOMES.map((o) => {
                const r = draft.retry[o];
                const label = t(`dialer.outcomes.${o}`);
                return (
                  <Table.Tr key={o}>
                    <Table.Td>{label}</Table.Td>
                    <Table.Td>
                      <Checkbox aria-label={t("dialer.retryOn", { outcome: label })} checked={r.enabled} onChange={(e) => setRetry(o, { enabled: e.currentTarget.checked })} disabled={ro} />
                    </Table.Td>
                    <Table.Td>
                      <NumberInput size="xs" w={110} aria-label={t("dialer.delayFor", { outcome: label })} value={r.delayMinutes} onChange={(v) => setRetry(o, { delayMinutes: v })} disabled={!r.enabled || ro} min={0} allowDecimal={false} error={err(`retry.${o}.delayMinutes`)} />
                    </Table.Td>
                    <Table.Td>
                      <NumberInput size="xs" w={90} aria-label={t("dialer.attemptsFor", { outcome: label })} value={r.maxAttempts} onChange={(v) => setRetry(o, { maxAttempts: v })} disabled={!r.enabled || ro} min={0} max={50} allowDecimal={false} error={err(`retry.${o}.maxAttempts`)} />
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Paper>

        {draft.mode === "notification" && (
          <Paper withBorder p="sm" data-testid="notification-message">
            <Title order={3} size="h6" mb={4}>
              {t("dialer.message")}
            </Title>
            <Text size="xs" c="dimmed" mb="xs">
              {t("dialer.messageHint")}
            </Text>
            <SimpleGrid cols={2} spacing="sm">
              <Select label={t("dialer.messagePrompt")} data={prompts.data ?? []} value={draft.messagePromptId || null} onChange={(v) => set("messagePromptId", v ?? "")} clearable placeholder={t("dialer.speakText")} disabled={ro} />
              <Select label={t("dialer.voice")} data={VOICES.map((v) => ({ value: v, label: t(`dialer.voices.${v}`) }))} value={draft.messageVoice} onChange={(v) => v && set("messageVoice", v as Voice)} allowDeselect={false} disabled={ro} />
            </SimpleGrid>
            <Textarea mt="xs" label={t("dialer.messageText")} value={draft.messageText} onChange={(e) => set("messageText", e.currentTarget.value)} autosize minRows={2} maxRows={6} error={err("messageText")} readOnly={ro} description={hasMessage(draft) ? undefined : t("dialer.messageMissing")} />
            <Checkbox mt="sm" label={t("dialer.surveyOn")} checked={draft.surveyOn} onChange={(e) => set("surveyOn", e.currentTarget.checked)} disabled={ro} />
            {draft.surveyOn && <SurveyFields draft={draft} set={set} setKey={setKey} err={err} prompts={prompts.data ?? []} ro={ro} />}
          </Paper>
        )}
        {AGENT_DIALLING.includes(draft.mode) && (
          <Paper withBorder p="sm" data-testid="machine-message">
            <Title order={3} size="h6" mb={4}>
              {t("dialer.machineMessage")}
            </Title>
            <Text size="xs" c="dimmed" mb="xs">
              {t("dialer.machineHint")}
            </Text>
            <SimpleGrid cols={2} spacing="sm">
              <Select label={t("dialer.machinePrompt")} data={prompts.data ?? []} value={draft.machinePromptId || null} onChange={(v) => set("machinePromptId", v ?? "")} clearable placeholder={t("dialer.speakText")} disabled={ro} />
              <Select label={t("dialer.voice")} data={VOICES.map((v) => ({ value: v, label: t(`dialer.voices.${v}`) }))} value={draft.messageVoice} onChange={(v) => v && set("messageVoice", v as Voice)} allowDeselect={false} disabled={ro} />
            </SimpleGrid>
            <Textarea mt="xs" label={t("dialer.machineText")} value={draft.machineText} onChange={(e) => set("machineText", e.currentTarget.value)} autosize minRows={2} maxRows={6} error={err("machineText")} readOnly={ro} />
          </Paper>
        )}

        {draft.mode !== "notification" && (
          <>
            <SimpleGrid cols={2} spacing="sm">
              <MultiSelect label={t("dialer.agents")} data={agentOptions} value={draft.agentIds} onChange={(v) => set("agentIds", v)} searchable clearable disabled={ro} />
              <MultiSelect label={t("dialer.groups")} data={groupOptions} value={draft.groupIds} onChange={(v) => set("groupIds", v)} searchable clearable disabled={ro} />
            </SimpleGrid>
            <Textarea label={t("dialer.script")} description={t("dialer.scriptHint")} value={draft.script} onChange={(e) => set("script", e.currentTarget.value)} autosize minRows={3} maxRows={10} error={err("script")} readOnly={ro} />
          </>
        )}
        {writable && (
          <Group justify="space-between">
            <Text size="sm" c="green" aria-live="polite">
              {saved ? t("common.saved") : ""}
            </Text>
            <FormActions submitLabel={campaign ? t("common.save") : t("common.create")} loading={save.isPending} />
          </Group>
        )}
      </Stack>
    </form>
  );
}

type SetField = <K extends keyof CampaignDraft>(key: K, value: CampaignDraft[K]) => void;

/** DIAL-8: the question (a prompt or text), the keys with their labels, repeats and wait. */
function SurveyFields({ draft, set, setKey, err, prompts, ro }: { draft: CampaignDraft; set: SetField; setKey: (i: number, patch: Partial<SurveyKeyRow>) => void; err: (path: string) => string | undefined; prompts: Option[]; ro: boolean }) {
  const { t } = useTranslation();
  const next = nextSurveyKey(draft.surveyKeys);
  return (
    <Stack gap="xs" mt="xs" data-testid="survey">
      <SimpleGrid cols={3} spacing="sm">
        <Select label={t("dialer.surveyPrompt")} data={prompts} value={draft.surveyPromptId || null} onChange={(v) => set("surveyPromptId", v ?? "")} clearable placeholder={t("dialer.speakText")} disabled={ro} />
        <NumberInput label={t("dialer.surveyRepeat")} value={draft.surveyRepeat} onChange={(v) => set("surveyRepeat", v)} min={1} max={5} allowDecimal={false} error={err("surveyRepeat")} readOnly={ro} />
        <NumberInput label={t("dialer.surveyTimeout")} value={draft.surveyTimeout} onChange={(v) => set("surveyTimeout", v)} min={1} max={30} error={err("surveyTimeout")} readOnly={ro} />
      </SimpleGrid>
      <Textarea label={t("dialer.surveyText")} value={draft.surveyText} onChange={(e) => set("surveyText", e.currentTarget.value)} autosize minRows={1} maxRows={4} error={err("surveyText")} readOnly={ro} />
      <Text size="sm" fw={500}>
        {t("dialer.surveyKeys")}
      </Text>
      {err("surveyKeys") && (
        <Text size="xs" c="red">
          {err("surveyKeys")}
        </Text>
      )}
      {draft.surveyKeys.map((row, i) => (
        <Group key={i} gap="xs" align="start" wrap="nowrap">
          <Select w={90} aria-label={t("dialer.surveyKey", { n: i + 1 })} data={[...SURVEY_KEYS]} value={row.key} onChange={(v) => v && setKey(i, { key: v })} allowDeselect={false} error={err(`surveyKeys.${i}.key`)} disabled={ro} />
          <TextInput style={{ flex: 1 }} aria-label={t("dialer.surveyLabel", { n: i + 1 })} placeholder={t("dialer.surveyLabelHint")} value={row.label} onChange={(e) => setKey(i, { label: e.currentTarget.value })} error={err(`surveyKeys.${i}.label`)} readOnly={ro} />
          {!ro && (
            <ActionIcon variant="subtle" color="red" mt={4} aria-label={t("dialer.removeKey", { n: i + 1 })} onClick={() => set("surveyKeys", draft.surveyKeys.filter((_, j) => j !== i))}>
              ×
            </ActionIcon>
          )}
        </Group>
      ))}
      {!ro && next !== null && (
        <Group>
          <Button size="xs" variant="light" onClick={() => set("surveyKeys", [...draft.surveyKeys, { key: next, label: "" }])}>
            {t("dialer.addKey")}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
