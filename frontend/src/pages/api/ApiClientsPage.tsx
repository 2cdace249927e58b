// API-1: the tenant's OAuth 2 API clients: create (secret shown once), scopes, revoke.
import { Badge, Button, Checkbox, Group, Modal, NumberInput, Stack, Table, Text, Textarea, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageHeader } from "../../components/PageHeader";
import { SecretReveal } from "./SecretReveal";
import { clientState, parseRedirectUris, SCOPES, scopeKey, tokenCurl, type ApiClientCreated, type ApiClientOut, type ScopeName } from "./logic";

export function ApiClientsPage() {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const [creating, createModal] = useDisclosure(false);
  const [created, setCreated] = useState<ApiClientCreated | null>(null);
  const clients = useQuery({
    queryKey: ["api-clients"],
    queryFn: () => data(api.GET("/api/v1/api-clients")),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => data(api.DELETE("/api/v1/api-clients/{client_id}", { params: { path: { client_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["api-clients"] }),
  });
  const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString(i18n.language) : t("api.never"));
  const onRevoke = (client: ApiClientOut) => {
    if (window.confirm(t("api.revokeConfirm", { name: client.name }))) revoke.mutate(client.id);
  };

  return (
    <>
      <PageHeader title={t("api.clientsTitle")}>
        <Button onClick={createModal.open}>{t("api.newClient")}</Button>
      </PageHeader>
      <Text size="sm" c="dimmed" mb="sm">
        {t("api.clientsIntro")}
      </Text>
      <ErrorAlert error={clients.error ?? revoke.error} />
      <Table striped highlightOnHover data-testid="api-clients-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("api.name")}</Table.Th>
            <Table.Th>{t("api.clientId")}</Table.Th>
            <Table.Th>{t("api.scopes")}</Table.Th>
            <Table.Th>{t("api.rateLimit")}</Table.Th>
            <Table.Th>{t("api.lastUsed")}</Table.Th>
            <Table.Th>{t("api.status")}</Table.Th>
            <Table.Th>{t("common.actions")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {clients.data?.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={7}>{t("api.noClients")}</Table.Td>
            </Table.Tr>
          )}
          {clients.data?.map((client) => (
            <Table.Tr key={client.id}>
              <Table.Td>{client.name}</Table.Td>
              <Table.Td>
                <Text size="xs" ff="monospace" style={{ wordBreak: "break-all" }}>
                  {client.clientId}
                </Text>
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {client.scopes.map((scope) => (
                    <Badge key={scope} variant="light" tt="none">
                      {scope}
                    </Badge>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td>{client.rateLimitPerMinute}</Table.Td>
              <Table.Td>{when(client.lastUsedAt)}</Table.Td>
              <Table.Td>
                <Badge color={clientState(client) === "active" ? "green" : "gray"}>{t(`api.${clientState(client)}`)}</Badge>
              </Table.Td>
              <Table.Td>
                {!client.revokedAt && (
                  <Button size="xs" color="red" variant="light" onClick={() => onRevoke(client)}>
                    {t("api.revoke")}
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Modal opened={creating} onClose={createModal.close} closeButtonProps={{ "aria-label": t("common.close") }} title={t("api.newClient")}>
        <CreateClientForm
          onCancel={createModal.close}
          onCreated={(c) => {
            createModal.close();
            setCreated(c);
          }}
        />
      </Modal>
      <Modal
        opened={created != null}
        onClose={() => setCreated(null)}
        closeButtonProps={{ "aria-label": t("common.close") }}
        title={t("api.secretTitle")}
        size="lg"
      >
        {created && (
          <Stack>
            <Text size="sm">
              {t("api.clientId")}: <Text span ff="monospace">{created.clientId}</Text>
            </Text>
            <SecretReveal
              label={t("api.secretTitle")}
              secret={created.clientSecret}
              warning={t("api.secretOnce")}
              extra={{ label: t("api.tokenExample"), text: tokenCurl(window.location.origin, created.clientId, created.clientSecret) }}
            />
            <Group justify="flex-end">
              <Button onClick={() => setCreated(null)}>{t("api.secretDone")}</Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </>
  );
}

function CreateClientForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (client: ApiClientCreated) => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<ScopeName[]>(["calls:read"]);
  const [rate, setRate] = useState<number>(600);
  const [redirects, setRedirects] = useState("");
  const create = useMutation({
    mutationFn: () =>
      data(api.POST("/api/v1/api-clients", { body: { name, scopes, rateLimitPerMinute: rate, redirectUris: parseRedirectUris(redirects) } })),
    onSuccess: async (client) => {
      await queryClient.invalidateQueries({ queryKey: ["api-clients"] });
      onCreated(client);
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
        <TextInput label={t("api.name")} value={name} onChange={(e) => setName(e.currentTarget.value)} required data-autofocus />
        <Checkbox.Group label={t("api.scopes")} value={scopes} onChange={(v) => setScopes(v as ScopeName[])}>
          <Stack gap={6} mt={4}>
            {SCOPES.map((scope) => (
              <Checkbox key={scope} value={scope} label={t(`api.scope.${scopeKey(scope)}`)} />
            ))}
          </Stack>
        </Checkbox.Group>
        <Textarea
          label={t("api.redirectUris")}
          description={t("api.redirectUrisHint")}
          value={redirects}
          onChange={(e) => setRedirects(e.currentTarget.value)}
          autosize
          minRows={1}
          placeholder="https://"
        />
        <NumberInput label={t("api.rateLimit")} value={rate} min={1} max={100000} onChange={(v) => setRate(typeof v === "number" ? v : 600)} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t("common.cancel")}
          </Button>
          <Button type="submit" loading={create.isPending} disabled={!name || scopes.length === 0}>
            {t("common.create")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
