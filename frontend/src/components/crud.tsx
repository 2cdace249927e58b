// Shared pieces of the portal's create/edit/list screens: the form modal, the form's buttons,
// a mutation that refreshes lists when it succeeds, and a declarative table. Pages used to
// repeat these by hand (Businesses, Lists); new screens build on them.
import { Button, Group, Modal, Table, Text, type ModalProps } from "@mantine/core";
import { useMutation, useQueryClient, type QueryKey } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";

/** A modal whose close button is labelled in the user's language. */
export function FormModal({
  opened,
  onClose,
  title,
  size,
  children,
}: {
  opened: boolean;
  onClose: () => void;
  title: string;
  size?: ModalProps["size"];
  children: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <Modal opened={opened} onClose={onClose} closeButtonProps={{ "aria-label": t("common.close") }} title={title} size={size}>
      {children}
    </Modal>
  );
}

/** Cancel + submit, right-aligned, at the bottom of a form. */
export function FormActions({
  onCancel,
  submitLabel,
  loading,
  disabled,
}: {
  onCancel?: () => void;
  submitLabel?: string;
  loading?: boolean;
  disabled?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <Group justify="flex-end">
      {onCancel && (
        <Button variant="default" onClick={onCancel}>
          {t("common.cancel")}
        </Button>
      )}
      <Button type="submit" loading={loading} disabled={disabled}>
        {submitLabel ?? t("common.save")}
      </Button>
    </Group>
  );
}

/**
 * A mutation that, once it succeeded, invalidates the given query keys (the lists showing what
 * it changed) and then calls `onDone` (close the modal, navigate, ...).
 */
export function useInvalidatingMutation<TArgs = void, TResult = unknown>(
  keys: QueryKey[],
  mutationFn: (args: TArgs) => Promise<TResult>,
  onDone?: (result: TResult, args: TArgs) => void,
) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn,
    onSuccess: async (result, args) => {
      await Promise.all(keys.map((queryKey) => queryClient.invalidateQueries({ queryKey })));
      onDone?.(result, args);
    },
  });
}

export interface Column<T> {
  key: string;
  header: ReactNode;
  render: (row: T) => ReactNode;
  /** Hidden when false (e.g. an actions column for read-only roles). */
  show?: boolean;
  width?: number | string;
}

/** A striped table from column definitions; says so when there are no rows. */
export function DataTable<T>({
  columns,
  rows,
  rowKey,
  testId,
  empty,
  caption,
}: {
  columns: Column<T>[];
  rows: readonly T[] | undefined;
  rowKey: (row: T) => string;
  testId?: string;
  empty?: string;
  caption?: string;
}) {
  const { t } = useTranslation();
  const shown = columns.filter((c) => c.show !== false);
  return (
    <Table.ScrollContainer minWidth={0}>
      <Table striped data-testid={testId}>
        {caption && <Table.Caption>{caption}</Table.Caption>}
        <Table.Thead>
          <Table.Tr>
            {shown.map((c) => (
              <Table.Th key={c.key} w={c.width}>
                {c.header}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows?.map((row) => (
            <Table.Tr key={rowKey(row)}>
              {shown.map((c) => (
                <Table.Td key={c.key}>{c.render(row)}</Table.Td>
              ))}
            </Table.Tr>
          ))}
          {rows && rows.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={shown.length}>
                <Text size="sm" c="dimmed">
                  {empty ?? t("common.none")}
                </Text>
              </Table.Td>
            </Table.Tr>
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Keep a field's error (an i18n key under `prefix`) only when there is one. */
export function fieldError(errors: Record<string, string>, path: string, t: (key: string) => string, prefix: string): string | undefined {
  const key = errors[path];
  return key ? t(`${prefix}.${key}`) : undefined;
}
