// The campaign's settings: mode, dates, calling windows, time zone, trunk and caller ID,
// retry rules per outcome, pacing ratios and abandonment target, agents, script.
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
import { campaignBody, DAYS, draftFromCampaign, MODES, RETRY_OUTCOMES, validateCampaign, type CampaignDraft, type CampaignOut, type Errors, type RetryRow, type WindowRow } from "./model";

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

        <SimpleGrid cols={2} spacing="sm">
          <MultiSelect label={t("dialer.agents")} data={agentOptions} value={draft.agentIds} onChange={(v) => set("agentIds", v)} searchable clearable disabled={ro} />
          <MultiSelect label={t("dialer.groups")} data={groupOptions} value={draft.groupIds} onChange={(v) => set("groupIds", v)} searchable clearable disabled={ro} />
        </SimpleGrid>
        <Textarea label={t("dialer.script")} description={t("dialer.scriptHint")} value={draft.script} onChange={(e) => set("script", e.currentTarget.value)} autosize minRows={3} maxRows={10} error={err("script")} readOnly={ro} />
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
