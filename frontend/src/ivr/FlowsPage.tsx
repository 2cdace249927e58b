// IVR flows: create one, open it in the builder, see which numbers run it, and point a number
// at its published version.
import { Anchor, Badge, Button, CloseButton, Group, Modal, Select, Stack, Table, Text, Textarea, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router-dom";

import { api, data, type NumberOut } from "../api/client";
import { can } from "../auth/permissions";
import { useSession } from "../auth/session";
import { ErrorAlert } from "../components/ErrorAlert";
import { PageHeader } from "../components/PageHeader";
import { ivrKeys, useFlows } from "./api";
import type { FlowOut } from "./types";

const numbersKey = ["numbers", "ivr"] as const;

export function FlowsPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const writable = can(me.role, "flows.write");
  const [creating, createModal] = useDisclosure(false);
  const flows = useFlows();
  const numbers = useQuery({
    queryKey: numbersKey,
    queryFn: () => data(api.GET("/api/v1/numbers", { params: { query: { limit: 200 } } })),
    enabled: can(me.role, "settings.read"),
  });
  return (
    <>
      <PageHeader title={t("ivr.title")}>{writable && <Button onClick={createModal.open}>{t("ivr.newFlow")}</Button>}</PageHeader>
      <ErrorAlert error={flows.error ?? numbers.error} />
      {flows.data?.items.length === 0 && <Text c="dimmed">{t("ivr.noFlows")}</Text>}
      {!!flows.data?.items.length && (
        <Table striped data-testid="ivr-flows">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("ivr.name")}</Table.Th>
              <Table.Th>{t("ivr.versions.title")}</Table.Th>
              <Table.Th>{t("ivr.numbers")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {flows.data.items.map((flow) => (
              <FlowRow key={flow.id} flow={flow} numbers={numbers.data?.items ?? []} writable={writable} />
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Modal opened={creating} onClose={createModal.close} title={t("ivr.newFlow")} closeButtonProps={{ "aria-label": t("common.close") }}>
        <CreateFlow onCancel={createModal.close} />
      </Modal>
    </>
  );
}

function FlowRow({ flow, numbers, writable }: { flow: FlowOut; numbers: NumberOut[]; writable: boolean }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [choice, setChoice] = useState<string | null>(null);
  const path = { flow_id: flow.id };
  const refresh = () => queryClient.invalidateQueries({ queryKey: numbersKey });
  const bind = useMutation({
    mutationFn: (numberId: string) => data(api.PUT("/api/v1/ivr/flows/{flow_id}/numbers/{number_id}", { params: { path: { ...path, number_id: numberId } } })),
    onSuccess: async () => {
      setChoice(null);
      await refresh();
    },
  });
  const unbind = useMutation({
    mutationFn: (numberId: string) => api.DELETE("/api/v1/ivr/flows/{flow_id}/numbers/{number_id}", { params: { path: { ...path, number_id: numberId } } }),
    onSuccess: refresh,
  });
  const mine = numbers.filter((n) => n.flowId === flow.id);
  const others = numbers.filter((n) => n.flowId !== flow.id).map((n) => ({ value: n.id, label: n.label ? `${n.number} · ${n.label}` : n.number }));
  const published = flow.publishedVersion != null;
  return (
    <Table.Tr data-testid={`ivr-flow-${flow.name}`}>
      <Table.Td>
        <Anchor component={Link} to={`/ivr/flows/${flow.id}`} fw={600}>
          {flow.name}
        </Anchor>
        {flow.description && (
          <Text size="xs" c="dimmed">
            {flow.description}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Group gap={4}>
          {published && <Badge color="green">{t("ivr.published")} {t("ivr.version", { n: flow.publishedVersion })}</Badge>}
          {flow.draftVersion != null && <Badge color="gray">{t("ivr.draft")} {t("ivr.version", { n: flow.draftVersion })}</Badge>}
        </Group>
      </Table.Td>
      <Table.Td>
        <Stack gap={6}>
          <Group gap={4} data-testid="ivr-flow-numbers">
            {mine.map((n) => (
              <Badge key={n.id} variant="light" rightSection={writable && <CloseButton size="xs" aria-label={t("ivr.unbind", { number: n.number })} onClick={() => unbind.mutate(n.id)} />}>
                {n.number}
              </Badge>
            ))}
          </Group>
          {writable && (
            <Group gap={4} wrap="nowrap">
              <Select size="xs" aria-label={`${t("ivr.bindPick")}: ${flow.name}`} placeholder={t("ivr.bindPick")} data={others} value={choice} onChange={setChoice} disabled={!published} searchable w={200} />
              <Button size="xs" variant="light" disabled={!published || !choice} loading={bind.isPending} onClick={() => choice && bind.mutate(choice)} title={published ? undefined : t("ivr.publishFirst")}>
                {t("ivr.bind")}
              </Button>
            </Group>
          )}
          {writable && !published && (
            <Text size="xs" c="dimmed">
              {t("ivr.publishFirst")}
            </Text>
          )}
          <ErrorAlert error={bind.error ?? unbind.error} />
        </Stack>
      </Table.Td>
    </Table.Tr>
  );
}

function CreateFlow({ onCancel }: { onCancel: () => void }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useMutation({
    mutationFn: () => data(api.POST("/api/v1/ivr/flows", { body: { name, description } })),
    onSuccess: async (flow) => {
      await queryClient.invalidateQueries({ queryKey: ivrKeys.flows });
      navigate(`/ivr/flows/${flow.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <ErrorAlert error={create.error} />
        <TextInput label={t("ivr.name")} value={name} onChange={(e) => setName(e.currentTarget.value)} required data-autofocus />
        <Textarea label={t("ivr.description")} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t("common.cancel")}
          </Button>
          <Button type="submit" loading={create.isPending}>
            {t("common.create")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
