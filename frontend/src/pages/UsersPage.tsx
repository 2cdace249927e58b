import { Badge, Button, Group, Modal, PasswordInput, Select, Stack, Table, TextInput } from "@mantine/core";
import { useDisclosure, useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";

import { api, data, type RoleName, type UserOut } from "../api/client";
import { can } from "../auth/permissions";
import { useSession } from "../auth/session";
import { ErrorAlert } from "../components/ErrorAlert";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";

const ROLES: RoleName[] = ["admin", "supervisor", "qa", "agent"];
const LIMIT = 25;

function isLocked(user: UserOut): boolean {
  return user.lockedUntil != null && new Date(user.lockedUntil).getTime() > Date.now();
}

export function UsersPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const writable = can(me.role, "users.write");
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [debounced] = useDebouncedValue(search, 250);
  const [role, setRole] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [offset, setOffset] = useState(0);
  const [creating, createModal] = useDisclosure(false);

  const query = {
    search: debounced || undefined,
    role: (role as RoleName | null) ?? undefined,
    isActive: status == null ? undefined : status === "active",
    limit: LIMIT,
    offset,
  };
  const users = useQuery({
    queryKey: ["users", query],
    queryFn: () => data(api.GET("/api/v1/users", { params: { query } })),
    placeholderData: keepPreviousData,
  });

  const update = useMutation({
    mutationFn: (args: { id: string; role?: RoleName; isActive?: boolean }) =>
      data(api.PATCH("/api/v1/users/{user_id}", { params: { path: { user_id: args.id } }, body: { role: args.role, isActive: args.isActive } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["users"] }),
  });
  const unlock = useMutation({
    mutationFn: (id: string) => data(api.POST("/api/v1/users/{user_id}/unlock", { params: { path: { user_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["users"] }),
  });

  const roleOptions = ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }));
  return (
    <>
      <PageHeader title={t("users.title")}>
        {writable && <Button onClick={createModal.open}>{t("users.create")}</Button>}
      </PageHeader>
      <Group mb="sm" align="end">
        <TextInput
          label={t("common.search")}
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            setOffset(0);
          }}
          w={260}
        />
        <Select label={t("users.filterRole")} data={roleOptions} value={role} onChange={(v) => { setRole(v); setOffset(0); }} clearable placeholder={t("common.all")} w={180} />
        <Select
          label={t("users.filterStatus")}
          data={[
            { value: "active", label: t("common.active") },
            { value: "inactive", label: t("common.inactive") },
          ]}
          value={status}
          onChange={(v) => { setStatus(v); setOffset(0); }}
          clearable
          placeholder={t("common.all")}
          w={160}
        />
      </Group>
      <ErrorAlert error={users.error ?? update.error ?? unlock.error} />
      <Table striped highlightOnHover data-testid="users-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("users.email")}</Table.Th>
            <Table.Th>{t("users.displayName")}</Table.Th>
            <Table.Th>{t("users.role")}</Table.Th>
            <Table.Th>{t("users.status")}</Table.Th>
            {writable && <Table.Th>{t("common.actions")}</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {users.data?.items.map((user) => (
            <Table.Tr key={user.id}>
              <Table.Td>{user.email}</Table.Td>
              <Table.Td>{user.displayName}</Table.Td>
              <Table.Td>
                {writable && user.id !== me.id ? (
                  <Select
                    aria-label={t("users.changeRole", { email: user.email })}
                    data={roleOptions}
                    value={user.role}
                    allowDeselect={false}
                    onChange={(v) => v && v !== user.role && update.mutate({ id: user.id, role: v as RoleName })}
                    w={150}
                    size="xs"
                  />
                ) : (
                  t(`roles.${user.role}`)
                )}
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  <Badge color={user.isActive ? "green" : "gray"}>{user.isActive ? t("common.active") : t("common.inactive")}</Badge>
                  {isLocked(user) && <Badge color="orange">{t("users.locked")}</Badge>}
                </Group>
              </Table.Td>
              {writable && (
                <Table.Td>
                  <Group gap="xs">
                    {user.id !== me.id && (
                      <Button size="xs" variant="default" onClick={() => update.mutate({ id: user.id, isActive: !user.isActive })}>
                        {user.isActive ? t("users.deactivate") : t("users.activate")}
                      </Button>
                    )}
                    {isLocked(user) && (
                      <Button size="xs" variant="light" onClick={() => unlock.mutate(user.id)}>
                        {t("users.unlock")}
                      </Button>
                    )}
                  </Group>
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {users.data && <Pager offset={offset} limit={LIMIT} total={users.data.total} onChange={setOffset} />}
      <Modal opened={creating} onClose={createModal.close} closeButtonProps={{ "aria-label": t("common.close") }} title={t("users.create")}>
        <CreateUserForm roleOptions={roleOptions} onDone={createModal.close} />
      </Modal>
    </>
  );
}

function CreateUserForm({ roleOptions, onDone }: { roleOptions: { value: string; label: string }[]; onDone: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ email: "", displayName: "", role: "agent" as RoleName, password: "" });
  const create = useMutation({
    mutationFn: () => data(api.POST("/api/v1/users", { body: form })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ["users"] });
      onDone();
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
        <TextInput label={t("users.email")} type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.currentTarget.value })} required data-autofocus />
        <TextInput label={t("users.displayName")} value={form.displayName} onChange={(e) => setForm({ ...form, displayName: e.currentTarget.value })} required />
        <Select label={t("users.role")} data={roleOptions} value={form.role} allowDeselect={false} onChange={(v) => v && setForm({ ...form, role: v as RoleName })} />
        <PasswordInput label={t("users.initialPassword")} description={t("signup.passwordHint")} value={form.password} onChange={(e) => setForm({ ...form, password: e.currentTarget.value })} required autoComplete="new-password" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>{t("common.cancel")}</Button>
          <Button type="submit" loading={create.isPending}>{t("common.create")}</Button>
        </Group>
      </Stack>
    </form>
  );
}
