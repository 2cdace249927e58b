import { describe, expect, it } from "vitest";

import { cleanList, draftProblems, duplicateFieldNames, duplicateOf, EMPTY_DRAFT, fieldsToCustom, toBody, toDraft, toQuery } from "./model";

const record = {
  name: "张伟",
  company: "星辰科技",
  phones: [
    { phone: "+8613800138000", hidden: false },
    { phone: "137****7000", hidden: true },
  ],
  email: "z@example.cn",
  category: "vip",
  tags: ["宽带"],
  custom: { 会员号: "A-1001" },
  notes: "n",
};

describe("customer form (CRM-1)", () => {
  it("edits a record without its masked numbers (the server keeps them)", () => {
    const d = toDraft(record);
    expect(d.phones).toEqual(["+8613800138000"]);
    expect(d.fields).toEqual([{ name: "会员号", value: "A-1001" }]);
    expect(toBody(d)).toEqual({ name: "张伟", company: "星辰科技", email: "z@example.cn", category: "vip", tags: ["宽带"], custom: { 会员号: "A-1001" }, notes: "n" });
  });

  it("cleans tags and custom fields", () => {
    expect(cleanList([" a ", "", "b", "a"])).toEqual(["a", "b"]);
    expect(fieldsToCustom([{ name: " 城市 ", value: "北京" }, { name: "", value: "x" }])).toEqual({ 城市: "北京" });
    expect(duplicateFieldNames([{ name: "a", value: "1" }, { name: "a ", value: "2" }, { name: "b", value: "" }])).toEqual(["a"]);
  });

  it("says what keeps a draft from being saved", () => {
    expect(draftProblems(EMPTY_DRAFT)).toEqual(["nameRequired"]);
    expect(draftProblems({ ...EMPTY_DRAFT, name: "X", email: "nope" })).toEqual(["emailInvalid"]);
    expect(draftProblems({ ...EMPTY_DRAFT, name: "X", tags: Array.from({ length: 21 }, (_, i) => `t${i}`) })).toEqual(["tooManyTags"]);
    expect(draftProblems({ ...EMPTY_DRAFT, name: "X", fields: [{ name: "a", value: "" }, { name: "a", value: "" }] })).toEqual(["duplicateField"]);
    expect(draftProblems({ ...EMPTY_DRAFT, name: "X", email: "a@b.cn" })).toEqual([]);
  });

  it("sends only the filters filled in", () => {
    expect(toQuery({ q: " 张 ", phone: "", tag: "vip", category: " " })).toEqual({ q: "张", tag: "vip" });
  });

  it("finds the record holding a refused number", () => {
    expect(duplicateOf({ status: 409, code: "duplicate_number", customerId: "c1" })).toBe("c1");
    expect(duplicateOf({ status: 400, code: "invalid_number" })).toBeNull();
    expect(duplicateOf(null)).toBeNull();
  });
});
