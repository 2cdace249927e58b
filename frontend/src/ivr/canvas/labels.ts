// Names shown for node types, fields, options and exits: translated when we know them, else
// the server's own (so a node type added on the server shows before its translation lands).
import type { TFunction } from "i18next";

import type { NodeTypeOut } from "../types";

export const typeTitle = (t: TFunction, type: string, server?: NodeTypeOut) =>
  t(`ivr.types.${type}`, { defaultValue: server?.title ?? type });

export const fieldLabel = (t: TFunction, name: string) => t(`ivr.fields.${name}`, { defaultValue: name });

export const optionLabel = (t: TFunction, value: string) =>
  t(`ivr.options.${value === "" ? "empty" : value}`, { defaultValue: value });

export const exitLabel = (t: TFunction, exit: string) =>
  /^[0-9*#]$/.test(exit) ? exit : t(`ivr.exits.${exit}`, { defaultValue: exit });
