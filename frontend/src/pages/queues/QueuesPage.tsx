// ACD queues (SEAT-3..5): list, create and edit with strategy, timers, overflow, required skills
// and the members with their tiers. Back end: /api/v1/acd/queues, PUT /api/v1/acd/agents/{id}/queues.
import { Badge, Button, Checkbox, Group, NumberInput, Select, SimpleGrid, Stack, Switch, Table, Text, TextInput, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { useBusinessOptions, usePublishedFlowOptions } from "../../api/lookups";
import { can } from "../../auth/permissions";
import { useSession } from "../../auth/session";
import { DataTable, FormActions, FormModal, useInvalidatingMutation } from "../../components/crud";
import { ErrorAlert } from "../../components/ErrorAlert";
import { ACD_AGENTS, ACD_QUEUES, useAgents, useQueues, useUserNames } from "../../components/lookups";
import { PageHeader } from "../../components/PageHeader";
import { SkillsEditor } from "../../components/SkillsEditor";
import { skillsLabel } from "../../components/skills";
import {
  draftFromQueue,
  membersOf,
  membershipChanges,
  OVERFLOW_KINDS,
  queueBody,
  STRATEGIES,
  validateQueue,
  validTier,
  type AgentOut,
  type Errors,
  type MemberTiers,
  type QueueDraft,
  type QueueOut,
} from "./model";

export function QueuesPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const writable = can(me.role, "acd.write");
  const assign = can(me.role, "acd.assign");
  const queues = useQueues();
  const agents = useAgents();
  const businesses = useBusinessOptions();
  const [editing, setEditing] = useState<QueueOut | null>(null);
  const [opened, modal] = useDisclosure(false);
  const remove = useInvalidatingMutation([ACD_QUEUES, ACD_AGENTS], (id: string) =>
    data(api.DELETE("/api/v1/acd/queues/{queue_id}", { params: { path: { queue_id: id } } })),
  );
  const businessName = (id: string) => businesses.data?.find((b) => b.value === id)?.label ?? "";
  const queueName = (id: string) => queues.data?.find((q) => q.id === id)?.name ?? id;
  const memberCount = (id: string) => (agents.data ?? []).filter((a) => a.queues.some((m) => m.queueId === id)).length;
  const open = (q: QueueOut | null) => {
    setEditing(q);
    modal.open();
  };
  const overflow = (q: QueueOut) =>
    q.overflowKind && q.overflowKind !== "none"
      ? `${t(`acd.overflowKinds.${q.overflowKind}`)}: ${q.overflowKind === "queue" ? queueName(q.overflowTarget) : q.overflowTarget}`
      : t("acd.overflowKinds.none");

  return (
    <>
      <PageHeader title={t("acd.queuesTitle")}>
        {writable && <Button onClick={() => open(null)}>{t("acd.newQueue")}</Button>}
      </PageHeader>
      <ErrorAlert error={queues.error ?? remove.error} />
      <DataTable<QueueOut>
        testId="queues-table"
        rows={queues.data}
        rowKey={(q) => q.id}
        empty={t("acd.noQueues")}
        columns={[
          { key: "name", header: t("common.name"), render: (q) => q.name },
          { key: "business", header: t("acd.business"), render: (q) => businessName(q.businessId) },
          { key: "strategy", header: t("acd.strategy"), render: (q) => t(`acd.strategies.${q.strategy ?? "longest_idle"}`) },
          { key: "timers", header: t("acd.timers"), render: (q) => t("acd.timersValue", { ring: q.ringTimeout, acw: q.acwTimeout, wait: q.maxWait }) },
          { key: "overflow", header: t("acd.overflow"), render: overflow },
          { key: "skills", header: t("acd.requiredSkills"), render: (q) => skillsLabel(q.skills) || "—" },
          { key: "members", header: t("acd.members"), render: (q) => <Badge variant="light">{memberCount(q.id)}</Badge> },
          {
            key: "actions",
            header: t("common.actions"),
            show: writable || assign,
            render: (q) => (
              <Group gap="xs" wrap="nowrap">
                <Button size="xs" variant="default" onClick={() => open(q)} aria-label={`${t("common.edit")}: ${q.name}`}>
                  {t("common.edit")}
                </Button>
                {writable && (
                  <Button size="xs" color="red" variant="light" onClick={() => remove.mutate(q.id)} aria-label={`${t("common.delete")}: ${q.name}`}>
                    {t("common.delete")}
                  </Button>
                )}
              </Group>
            ),
          },
        ]}
      />
      <FormModal opened={opened} onClose={modal.close} title={editing ? t("acd.editQueue", { name: editing.name }) : t("acd.newQueue")} size="xl">
        {opened && (
          <QueueForm
            key={editing?.id ?? "new"}
            queue={editing}
            queues={queues.data ?? []}
            agents={agents.data ?? []}
            businesses={businesses.data ?? []}
            writable={writable}
            assign={assign}
            onDone={modal.close}
          />
        )}
      </FormModal>
    </>
  );
}

function QueueForm({
  queue,
  queues,
  agents,
  businesses,
  writable,
  assign,
  onDone,
}: {
  queue: QueueOut | null;
  queues: QueueOut[];
  agents: AgentOut[];
  businesses: { value: string; label: string }[];
  writable: boolean;
  assign: boolean;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const userName = useUserNames();
  const [draft, setDraft] = useState<QueueDraft>(() => draftFromQueue(queue));
  const [tiers, setTiers] = useState<Record<string, number | string>>(() => membersOf(agents, queue?.id));
  const [errors, setErrors] = useState<Errors>({});
  const set = <K extends keyof QueueDraft>(key: K, value: QueueDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const err = (path: string) => (errors[path] ? t(`acd.errors.${errors[path]}`) : undefined);

  const save = useInvalidatingMutation(
    [ACD_QUEUES, ACD_AGENTS],
    async () => {
      let saved = queue;
      if (writable) {
        const body = queueBody(draft);
        saved = (queue
          ? await data(api.PUT("/api/v1/acd/queues/{queue_id}", { params: { path: { queue_id: queue.id } }, body }))
          : await data(api.POST("/api/v1/acd/queues", { body }))) as QueueOut;
      }
      if (assign && saved) {
        const wanted: MemberTiers = Object.fromEntries(Object.entries(tiers).map(([id, tier]) => [id, Number(tier)]));
        for (const change of membershipChanges(agents, saved.id, wanted)) {
          await data(api.PUT("/api/v1/acd/agents/{agent_id}/queues", { params: { path: { agent_id: change.agentId } }, body: change.queues }));
        }
      }
      return saved;
    },
    onDone,
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = writable ? validateQueue(draft, queue?.id) : {};
    for (const [id, tier] of Object.entries(tiers)) if (!validTier(tier)) found[`tier.${id}`] = "tier";
    setErrors(found);
    if (Object.keys(found).length === 0) save.mutate();
  };

  const eligible = agents.filter((a) => a.businessId === draft.businessId);
  const otherQueues = queues.filter((q) => q.id !== queue?.id && q.businessId === draft.businessId).map((q) => ({ value: q.id, label: q.name }));
  const ro = !writable;
  const surveyFlows = usePublishedFlowOptions(writable);
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <ErrorAlert error={save.error} />
        <SimpleGrid cols={2} spacing="sm">
          <TextInput label={t("common.name")} value={draft.name} onChange={(e) => set("name", e.currentTarget.value)} error={err("name")} required readOnly={ro} data-autofocus />
          <Select label={t("acd.business")} data={businesses} value={draft.businessId} onChange={(v) => set("businessId", v)} error={err("businessId")} required disabled={ro || (queue != null && eligible.some((a) => tiers[a.id] !== undefined))} allowDeselect={false} />
          <Select
            label={t("acd.strategy")}
            data={STRATEGIES.map((s) => ({ value: s, label: t(`acd.strategies.${s}`) }))}
            value={draft.strategy}
            onChange={(v) => v && set("strategy", v as QueueDraft["strategy"])}
            allowDeselect={false}
            disabled={ro}
          />
          <NumberInput label={t("acd.ringTimeout")} value={draft.ringTimeout} onChange={(v) => set("ringTimeout", v)} min={1} max={300} error={err("ringTimeout")} readOnly={ro} />
          <NumberInput label={t("acd.maxWait")} description={t("acd.maxWaitHint")} value={draft.maxWait} onChange={(v) => set("maxWait", v)} min={0} max={86400} error={err("maxWait")} readOnly={ro} />
          <NumberInput label={t("acd.acwTimeout")} value={draft.acwTimeout} onChange={(v) => set("acwTimeout", v)} min={0} max={3600} error={err("acwTimeout")} readOnly={ro} />
          <Select
            label={t("acd.overflow")}
            data={OVERFLOW_KINDS.map((k) => ({ value: k, label: t(`acd.overflowKinds.${k}`) }))}
            value={draft.overflowKind}
            onChange={(v) => v && setDraft((d) => ({ ...d, overflowKind: v as QueueDraft["overflowKind"], overflowTarget: "" }))}
            allowDeselect={false}
            disabled={ro}
          />
          {draft.overflowKind === "queue" ? (
            <Select label={t("acd.overflowTarget")} data={otherQueues} value={draft.overflowTarget || null} onChange={(v) => set("overflowTarget", v ?? "")} error={err("overflowTarget")} disabled={ro} />
          ) : (
            <TextInput
              label={t("acd.overflowTarget")}
              description={draft.overflowKind === "external" ? t("acd.overflowExternalHint") : draft.overflowKind === "voicemail" ? t("acd.overflowVoicemailHint") : undefined}
              value={draft.overflowTarget}
              onChange={(e) => set("overflowTarget", e.currentTarget.value)}
              disabled={ro || draft.overflowKind === "none"}
              error={err("overflowTarget")}
            />
          )}
          <Select
            label={t("acd.surveyFlow")}
            description={t("acd.surveyFlowHint")}
            data={surveyFlows.data ?? []}
            value={draft.surveyFlowId}
            onChange={(v) => set("surveyFlowId", v)}
            clearable
            placeholder={t("acd.noSurvey")}
            disabled={ro}
          />
          <NumberInput label={t("acd.serviceLevel")} value={draft.serviceLevelSeconds} onChange={(v) => set("serviceLevelSeconds", v)} min={1} max={600} allowDecimal={false} error={err("serviceLevelSeconds")} readOnly={ro} />
          <Select
            label={t("acd.noAnswer")}
            data={[
              { value: "not_ready", label: t("acd.noAnswerNotReady") },
              { value: "ready", label: t("acd.noAnswerReady") },
            ]}
            value={draft.noAnswer}
            onChange={(v) => v && set("noAnswer", v as QueueDraft["noAnswer"])}
            allowDeselect={false}
            disabled={ro}
          />
        </SimpleGrid>
        <Group gap="lg">
          <Switch label={t("acd.wrapUp")} checked={draft.wrapUp} onChange={(e) => set("wrapUp", e.currentTarget.checked)} disabled={ro} />
          <Switch label={t("acd.announcePosition")} checked={draft.announcePosition} onChange={(e) => set("announcePosition", e.currentTarget.checked)} disabled={ro} />
          <Switch label={t("acd.announceWait")} checked={draft.announceWait} onChange={(e) => set("announceWait", e.currentTarget.checked)} disabled={ro} />
        </Group>
        {writable && <SkillsEditor label={t("acd.requiredSkills")} rows={draft.skills} onChange={(rows) => set("skills", rows)} errors={errors} at="skills" />}
        <Title order={3} size="h5">
          {t("acd.members")}
        </Title>
        <Text size="sm" c="dimmed">
          {t("acd.membersHint")}
        </Text>
        <Table data-testid="queue-members">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("acd.member")}</Table.Th>
              <Table.Th>{t("acd.agent")}</Table.Th>
              <Table.Th>{t("acd.skills")}</Table.Th>
              <Table.Th>{t("acd.tier")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {eligible.map((a) => {
              const name = userName(a.userId);
              const member = tiers[a.id] !== undefined;
              return (
                <Table.Tr key={a.id}>
                  <Table.Td>
                    <Checkbox
                      aria-label={t("acd.memberOf", { name })}
                      checked={member}
                      disabled={!assign}
                      onChange={(e) => {
                        const checked = e.currentTarget.checked;
                        setTiers((cur) => {
                          const next = { ...cur };
                          if (checked) next[a.id] = 0;
                          else delete next[a.id];
                          return next;
                        });
                      }}
                    />
                  </Table.Td>
                  <Table.Td>
                    {name}
                    {a.extension ? ` · ${a.extension}` : ""}
                  </Table.Td>
                  <Table.Td>{skillsLabel(a.skills) || "—"}</Table.Td>
                  <Table.Td>
                    <NumberInput
                      size="xs"
                      w={90}
                      aria-label={t("acd.tierOf", { name })}
                      value={tiers[a.id] ?? ""}
                      disabled={!member || !assign}
                      min={0}
                      max={1000}
                      allowDecimal={false}
                      error={err(`tier.${a.id}`)}
                      onChange={(v) => setTiers((cur) => ({ ...cur, [a.id]: v }))}
                    />
                  </Table.Td>
                </Table.Tr>
              );
            })}
            {eligible.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={4}>
                  <Text size="sm" c="dimmed">
                    {draft.businessId ? t("acd.noEligibleAgents") : t("acd.pickBusinessFirst")}
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
        <FormActions onCancel={onDone} submitLabel={queue ? t("common.save") : t("common.create")} loading={save.isPending} />
      </Stack>
    </form>
  );
}
