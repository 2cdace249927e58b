// Agents & skills: agent profiles (seat extension, skills with levels, auto-answer, max ACW,
// business) and the tenant's not-ready reason codes. Back end: /api/v1/acd/agents, /acd/reasons.
import { ActionIcon, Badge, Button, Group, NumberInput, Paper, Select, Stack, Switch, Text, TextInput, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { useBusinessOptions } from "../../api/lookups";
import { can } from "../../auth/permissions";
import { useSession } from "../../auth/session";
import { DataTable, FormActions, FormModal, useInvalidatingMutation } from "../../components/crud";
import { ErrorAlert } from "../../components/ErrorAlert";
import { ACD_AGENTS, useAgents, useExtensions, useQueues, useUserNames, useUsers } from "../../components/lookups";
import { PageHeader } from "../../components/PageHeader";
import { SkillsEditor } from "../../components/SkillsEditor";
import { skillsLabel } from "../../components/skills";
import { agentCreateBody, agentPatchBody, draftFromAgent, validateAgent, validateReasons, type AgentDraft, type AgentOut, type Reason } from "./model";

export function AgentsPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const writable = can(me.role, "acd.write");
  const agents = useAgents();
  const queues = useQueues();
  const businesses = useBusinessOptions();
  const userName = useUserNames();
  const [editing, setEditing] = useState<AgentOut | null>(null);
  const [opened, modal] = useDisclosure(false);
  const remove = useInvalidatingMutation([ACD_AGENTS], (id: string) =>
    data(api.DELETE("/api/v1/acd/agents/{agent_id}", { params: { path: { agent_id: id } } })),
  );
  const businessName = (id: string) => businesses.data?.find((b) => b.value === id)?.label ?? "";
  const queueName = (id: string) => queues.data?.find((q) => q.id === id)?.name ?? id.slice(0, 8);
  const open = (a: AgentOut | null) => {
    setEditing(a);
    modal.open();
  };

  return (
    <>
      <PageHeader title={t("acd.agentsTitle")}>
        {writable && <Button onClick={() => open(null)}>{t("acd.newAgent")}</Button>}
      </PageHeader>
      <ErrorAlert error={agents.error ?? remove.error} />
      <DataTable<AgentOut>
        testId="agents-table"
        rows={agents.data}
        rowKey={(a) => a.id}
        empty={t("acd.noAgents")}
        columns={[
          { key: "agent", header: t("acd.agent"), render: (a) => userName(a.userId) },
          { key: "ext", header: t("acd.extension"), render: (a) => a.extension ?? "—" },
          { key: "business", header: t("acd.business"), render: (a) => businessName(a.businessId) },
          { key: "skills", header: t("acd.skills"), render: (a) => skillsLabel(a.skills) || "—" },
          { key: "auto", header: t("acd.autoAnswer"), render: (a) => (a.autoAnswer ? t("common.yes") : t("common.no")) },
          { key: "acw", header: t("acd.maxAcw"), render: (a) => (a.maxAcw == null ? t("acd.queueDefault") : `${a.maxAcw} s`) },
          {
            key: "queues",
            header: t("acd.queues"),
            render: (a) => (
              <Group gap={4}>
                {a.queues.map((m) => (
                  <Badge key={m.queueId} variant="light" tt="none">
                    {queueName(m.queueId)} · {t("acd.tierShort", { n: m.priority ?? 0 })}
                  </Badge>
                ))}
              </Group>
            ),
          },
          {
            key: "actions",
            header: t("common.actions"),
            show: writable,
            render: (a) => (
              <Group gap="xs" wrap="nowrap">
                <Button size="xs" variant="default" onClick={() => open(a)} aria-label={`${t("common.edit")}: ${userName(a.userId)}`}>
                  {t("common.edit")}
                </Button>
                <Button size="xs" color="red" variant="light" onClick={() => remove.mutate(a.id)} aria-label={`${t("common.delete")}: ${userName(a.userId)}`}>
                  {t("common.delete")}
                </Button>
              </Group>
            ),
          },
        ]}
      />
      <Reasons writable={writable} />
      <FormModal opened={opened} onClose={modal.close} title={editing ? t("acd.editAgent", { name: userName(editing.userId) }) : t("acd.newAgent")} size="lg">
        {opened && <AgentForm key={editing?.id ?? "new"} agent={editing} agents={agents.data ?? []} businesses={businesses.data ?? []} onDone={modal.close} />}
      </FormModal>
    </>
  );
}

function AgentForm({
  agent,
  agents,
  businesses,
  onDone,
}: {
  agent: AgentOut | null;
  agents: AgentOut[];
  businesses: { value: string; label: string }[];
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const users = useUsers();
  const extensions = useExtensions();
  const [draft, setDraft] = useState<AgentDraft>(() => draftFromAgent(agent));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const set = <K extends keyof AgentDraft>(key: K, value: AgentDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const err = (path: string) => (errors[path] ? t(`acd.errors.${errors[path]}`) : undefined);
  const taken = new Set(agents.filter((a) => a.id !== agent?.id).map((a) => a.userId));
  const userOptions = (users.data ?? [])
    .filter((u) => u.isActive && !taken.has(u.id))
    .map((u) => ({ value: u.id, label: `${u.displayName} <${u.email}>` }));
  const seatTaken = new Set(agents.filter((a) => a.id !== agent?.id && a.extensionId).map((a) => a.extensionId));
  const extOptions = (extensions.data?.items ?? [])
    .filter((e) => !seatTaken.has(e.id) && (!e.businessId || e.businessId === draft.businessId))
    .map((e) => ({ value: e.id, label: e.displayName ? `${e.number} ${e.displayName}` : e.number }));
  const save = useInvalidatingMutation(
    [ACD_AGENTS, ["extensions"]],
    () =>
      agent
        ? data(api.PATCH("/api/v1/acd/agents/{agent_id}", { params: { path: { agent_id: agent.id } }, body: agentPatchBody(agent, draft) }))
        : data(api.POST("/api/v1/acd/agents", { body: agentCreateBody(draft) })),
    onDone,
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateAgent(draft);
    setErrors(found);
    if (Object.keys(found).length === 0) save.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <ErrorAlert error={save.error ?? users.error} />
        <Select label={t("acd.user")} data={userOptions} value={draft.userId} onChange={(v) => set("userId", v)} error={err("userId")} searchable required disabled={agent != null} data-autofocus />
        <Select label={t("acd.business")} data={businesses} value={draft.businessId} onChange={(v) => set("businessId", v)} error={err("businessId")} required allowDeselect={false} />
        <Select label={t("acd.extension")} description={t("acd.extensionHint")} data={extOptions} value={draft.extensionId} onChange={(v) => set("extensionId", v)} clearable={agent == null} searchable placeholder={t("common.none")} />
        <SkillsEditor label={t("acd.skills")} rows={draft.skills} onChange={(rows) => set("skills", rows)} errors={errors} at="skills" />
        <Switch label={t("acd.autoAnswer")} checked={draft.autoAnswer} onChange={(e) => set("autoAnswer", e.currentTarget.checked)} />
        <NumberInput label={t("acd.maxAcw")} description={t("acd.maxAcwHint")} value={draft.maxAcw} onChange={(v) => set("maxAcw", v)} min={0} max={3600} error={err("maxAcw")} />
        <FormActions onCancel={onDone} submitLabel={agent ? t("common.save") : t("common.create")} loading={save.isPending} />
      </Stack>
    </form>
  );
}

function Reasons({ writable }: { writable: boolean }) {
  const { t } = useTranslation();
  const reasons = useQuery({ queryKey: ["acd", "reasons"], queryFn: () => data(api.GET("/api/v1/acd/reasons")) });
  const [rows, setRows] = useState<Reason[] | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const shown = rows ?? reasons.data ?? [];
  const save = useInvalidatingMutation([["acd", "reasons"]], (body: Reason[]) => data(api.PUT("/api/v1/acd/reasons", { body })), () => setRows(null));
  const set = (i: number, patch: Partial<Reason>) => setRows(shown.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const err = (path: string) => (errors[path] ? t(`acd.errors.${errors[path]}`) : undefined);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateReasons(shown);
    setErrors(found);
    if (Object.keys(found).length === 0) save.mutate(shown.map((r) => ({ code: r.code, label: r.label.trim() })));
  };
  return (
    <Paper withBorder p="md" mt="lg">
      <Title order={3} size="h5" mb="xs">
        {t("acd.reasonsTitle")}
      </Title>
      <Text size="sm" c="dimmed" mb="xs">
        {t("acd.reasonsHint")}
      </Text>
      <ErrorAlert error={reasons.error ?? save.error} />
      <form onSubmit={submit} noValidate>
        <Stack gap={6}>
          {shown.map((r, i) => (
            <Group key={i} gap="xs" align="start" wrap="nowrap">
              <TextInput aria-label={t("acd.reasonCode", { n: i + 1 })} value={r.code} onChange={(e) => set(i, { code: e.currentTarget.value })} error={err(`reasons.${i}.code`)} readOnly={!writable} w={180} />
              <TextInput aria-label={t("acd.reasonLabel", { n: i + 1 })} value={r.label} onChange={(e) => set(i, { label: e.currentTarget.value })} error={err(`reasons.${i}.label`)} readOnly={!writable} w={260} />
              {writable && (
                <ActionIcon variant="subtle" color="red" mt={4} aria-label={t("acd.removeReason", { n: i + 1 })} onClick={() => setRows(shown.filter((_, j) => j !== i))}>
                  ×
                </ActionIcon>
              )}
            </Group>
          ))}
          {errors.reasons && (
            <Text size="sm" c="red">
              {t(`acd.errors.${errors.reasons}`)}
            </Text>
          )}
          {writable && (
            <Group justify="space-between">
              <Button size="xs" variant="light" onClick={() => setRows([...shown, { code: "", label: "" }])}>
                {t("acd.addReason")}
              </Button>
              <FormActions onCancel={rows ? () => { setRows(null); setErrors({}); } : undefined} loading={save.isPending} disabled={!rows} />
            </Group>
          )}
        </Stack>
      </form>
    </Paper>
  );
}
