// The flow's versions (newest first); an earlier one can be republished (rollback).
import { Badge, Button, Drawer, Table, Text } from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { ErrorAlert } from "../../components/ErrorAlert";
import type { FlowOut, VersionOut } from "../types";

interface Props {
  flow: FlowOut;
  opened: boolean;
  onClose: () => void;
  onRolledBack: (version: VersionOut) => void;
  writable: boolean;
}

const COLORS = { draft: "gray", published: "green", archived: "blue" } as const;

export function VersionsDrawer({ flow, opened, onClose, onRolledBack, writable }: Props) {
  const { t, i18n } = useTranslation();
  const path = { flow_id: flow.id };
  const versions = useQuery({
    queryKey: ["ivr", "flow", flow.id, "versions", flow.publishedVersion, flow.draftVersion],
    queryFn: () => data(api.GET("/api/v1/ivr/flows/{flow_id}/versions", { params: { path } })),
    enabled: opened,
  });
  const rollback = useMutation({
    mutationFn: (version: number) => data(api.POST("/api/v1/ivr/flows/{flow_id}/rollback", { params: { path }, body: { version } })),
    onSuccess: onRolledBack,
  });
  return (
    <Drawer opened={opened} onClose={onClose} position="right" title={t("ivr.versions.title")} closeButtonProps={{ "aria-label": t("common.close") }}>
      <ErrorAlert error={versions.error ?? rollback.error} />
      {versions.data?.length === 0 && <Text c="dimmed">{t("ivr.versions.none")}</Text>}
      <Table data-testid="ivr-versions">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("ivr.versions.number")}</Table.Th>
            <Table.Th>{t("ivr.versions.status")}</Table.Th>
            <Table.Th>{t("ivr.versions.saved")}</Table.Th>
            {writable && <Table.Th />}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {versions.data?.map((v) => (
            <Table.Tr key={v.id} data-testid={`ivr-version-${v.number}`}>
              <Table.Td>{t("ivr.version", { n: v.number })}</Table.Td>
              <Table.Td>
                <Badge color={COLORS[v.status]}>{t(`ivr.versions.statuses.${v.status}`)}</Badge>
              </Table.Td>
              <Table.Td>
                <Text size="xs">{new Date(v.publishedAt ?? v.updatedAt).toLocaleString(i18n.language)}</Text>
              </Table.Td>
              {writable && (
                <Table.Td>
                  {v.status === "archived" && (
                    <Button size="xs" variant="light" loading={rollback.isPending && rollback.variables === v.number} onClick={() => rollback.mutate(v.number)}>
                      {t("ivr.versions.rollback")}
                    </Button>
                  )}
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Drawer>
  );
}
