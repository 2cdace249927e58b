// API-2: the tenant's webhook endpoints: create (signing secret shown once), event types,
// enable/disable, send a test event, and each endpoint's deliveries with every attempt.
import { Badge, Button, Checkbox, Drawer, Group, Modal, Stack, Table, Text, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageHeader } from "../../components/PageHeader";
import { SecretReveal } from "./SecretReveal";
import { attemptLine, deliveryTone, groupEventTypes, isWebhookUrl, toggleEventType, type EventType, type WebhookCreated, type WebhookOut } from "./logic";

export function WebhooksPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [creating, createModal] = useDisclosure(false);
  const [created, setCreated] = useState<WebhookCreated | null>(null);
  const [open, setOpen] = useState<WebhookOut | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const hooks = useQuery({ queryKey: ["webhooks"], queryFn: () => data(api.GET("/api/v1/webhooks")) });
  const invalidate = () => queryClient.invalidateQueries({ queryKey: ["webhooks"] });
  const update = useMutation({
    mutationFn: (args: { id: string; enabled: boolean }) =>
      data(api.PATCH("/api/v1/webhooks/{webhook_id}", { params: { path: { webhook_id: args.id } }, body: { enabled: args.enabled } })),
    onSuccess: invalidate,
  });
  const remove = useMutation({
    mutationFn: (id: string) => data(api.DELETE("/api/v1/webhooks/{webhook_id}", { params: { path: { webhook_id: id } } })),
    onSuccess: invalidate,
  });
  const test = useMutation({
    mutationFn: (id: string) => data(api.POST("/api/v1/webhooks/{webhook_id}/test", { params: { path: { webhook_id: id } } })),
    onSuccess: async () => {
      setNotice(t("api.testSent"));
      await queryClient.invalidateQueries({ queryKey: ["webhook-deliveries"] });
    },
  });

  return (
    <>
      <PageHeader title={t("api.webhooksTitle")}>
        <Button onClick={createModal.open}>{t("api.newWebhook")}</Button>
      </PageHeader>
      <Text size="sm" c="dimmed" mb="sm">
        {t("api.webhooksIntro")}
      </Text>
      <ErrorAlert error={hooks.error ?? update.error ?? remove.error ?? test.error} />
      {notice && (
        <Text size="sm" c="green" mb="sm" role="status">
          {notice}
        </Text>
      )}
      <Table striped highlightOnHover data-testid="webhooks-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("api.url")}</Table.Th>
            <Table.Th>{t("api.eventTypes")}</Table.Th>
            <Table.Th>{t("api.status")}</Table.Th>
            <Table.Th>{t("common.actions")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {hooks.data?.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={4}>{t("api.noWebhooks")}</Table.Td>
            </Table.Tr>
          )}
          {hooks.data?.map((hook) => (
            <Table.Tr key={hook.id}>
              <Table.Td>
                <Text size="sm" style={{ wordBreak: "break-all" }}>
                  {hook.url}
                </Text>
                {hook.description && (
                  <Text size="xs" c="dimmed">
                    {hook.description}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {hook.eventTypes.map((type) => (
                    <Badge key={type} variant="light" tt="none">
                      {type === "*" ? t("api.allEvents") : type}
                    </Badge>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td>
                <Badge color={hook.enabled ? "green" : "gray"}>{hook.enabled ? t("api.enabled") : t("api.disabled")}</Badge>
              </Table.Td>
              <Table.Td>
                <Group gap="xs" wrap="nowrap">
                  <Button size="xs" variant="light" onClick={() => test.mutate(hook.id)}>
                    {t("api.sendTest")}
                  </Button>
                  <Button size="xs" variant="default" onClick={() => setOpen(hook)}>
                    {t("api.deliveries")}
                  </Button>
                  <Button size="xs" variant="default" onClick={() => update.mutate({ id: hook.id, enabled: !hook.enabled })}>
                    {hook.enabled ? t("api.disable") : t("api.enable")}
                  </Button>
                  <Button
                    size="xs"
                    color="red"
                    variant="light"
                    onClick={() => window.confirm(t("api.deleteConfirm", { url: hook.url })) && remove.mutate(hook.id)}
                  >
                    {t("api.delete")}
                  </Button>
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Modal opened={creating} onClose={createModal.close} closeButtonProps={{ "aria-label": t("common.close") }} title={t("api.newWebhook")} size="lg">
        <CreateWebhookForm
          onCancel={createModal.close}
          onCreated={(hook) => {
            createModal.close();
            setCreated(hook);
          }}
        />
      </Modal>
      <Modal opened={created != null} onClose={() => setCreated(null)} closeButtonProps={{ "aria-label": t("common.close") }} title={t("api.signingSecret")} size="lg">
        {created && (
          <Stack>
            <SecretReveal label={t("api.signingSecret")} secret={created.secret} warning={t("api.signingSecretOnce")} />
            <Group justify="flex-end">
              <Button onClick={() => setCreated(null)}>{t("api.secretDone")}</Button>
            </Group>
          </Stack>
        )}
      </Modal>
      <Drawer opened={open != null} onClose={() => setOpen(null)} position="right" size="xl" title={open ? `${t("api.deliveries")} · ${open.url}` : ""}>
        {open && <Deliveries webhookId={open.id} />}
      </Drawer>
    </>
  );
}

function Deliveries({ webhookId }: { webhookId: string }) {
  const { t, i18n } = useTranslation();
  const deliveries = useQuery({
    queryKey: ["webhook-deliveries", webhookId],
    queryFn: () => data(api.GET("/api/v1/webhooks/{webhook_id}/deliveries", { params: { path: { webhook_id: webhookId }, query: { limit: 50 } } })),
    refetchInterval: 5000,
  });
  return (
    <>
      <ErrorAlert error={deliveries.error} />
      <Table striped data-testid="deliveries-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("api.created")}</Table.Th>
            <Table.Th>{t("api.event")}</Table.Th>
            <Table.Th>{t("api.status")}</Table.Th>
            <Table.Th>{t("api.attempts")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {deliveries.data?.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={4}>{t("api.noDeliveries")}</Table.Td>
            </Table.Tr>
          )}
          {deliveries.data?.map((d) => (
            <Table.Tr key={d.id}>
              <Table.Td>{new Date(d.createdAt).toLocaleString(i18n.language)}</Table.Td>
              <Table.Td>{d.eventType}</Table.Td>
              <Table.Td>
                <Badge color={deliveryTone(d.status)}>{t(`api.deliveryStatus.${d.status}`, { defaultValue: d.status })}</Badge>
              </Table.Td>
              <Table.Td>
                <Stack gap={0}>
                  {d.attemptLog.map((a) => (
                    <Text key={a.attempt} size="xs" ff="monospace" title={a.error ?? undefined}>
                      {attemptLine(a)}
                    </Text>
                  ))}
                </Stack>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </>
  );
}

function CreateWebhookForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (hook: WebhookCreated) => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [eventTypes, setEventTypes] = useState<string[]>(["*"]);
  const types = useQuery({ queryKey: ["webhook-event-types"], queryFn: () => data(api.GET("/api/v1/webhooks/event-types")) });
  const create = useMutation({
    mutationFn: () => data(api.POST("/api/v1/webhooks", { body: { url, description, enabled: true, eventTypes: eventTypes as EventType[] } })),
    onSuccess: async (hook) => {
      await queryClient.invalidateQueries({ queryKey: ["webhooks"] });
      onCreated(hook);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const urlError = url !== "" && !isWebhookUrl(url) ? t("api.urlInvalid") : undefined;
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <ErrorAlert error={create.error ?? types.error} />
        <TextInput label={t("api.url")} value={url} onChange={(e) => setUrl(e.currentTarget.value)} error={urlError} placeholder="https://" required data-autofocus />
        <TextInput label={t("api.description")} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
        <Text size="sm" fw={500}>
          {t("api.eventTypes")}
        </Text>
        <Checkbox label={t("api.allEvents")} checked={eventTypes.includes("*")} onChange={() => setEventTypes(toggleEventType(eventTypes, "*"))} />
        {groupEventTypes(types.data ?? []).map(({ group, items }) => (
          <Stack key={group} gap={4}>
            <Text size="xs" c="dimmed" fw={700}>
              {t(`api.groups.${group}`, { defaultValue: group })}
            </Text>
            <Group gap="sm">
              {items.map((type) => (
                <Checkbox key={type} size="xs" label={type} checked={eventTypes.includes(type)} onChange={() => setEventTypes(toggleEventType(eventTypes, type))} />
              ))}
            </Group>
          </Stack>
        ))}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t("common.cancel")}
          </Button>
          <Button type="submit" loading={create.isPending} disabled={!isWebhookUrl(url) || eventTypes.length === 0}>
            {t("common.create")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
