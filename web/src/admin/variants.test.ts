import { describe, expect, it } from "vitest";
import { combinations } from "./variants";

describe("combinations", () => {
  it("makes one variant per combination of values, first option slowest", () => {
    expect(
      combinations([
        { name: "Size", values: ["S", "L"] },
        { name: "Color", values: ["Red", "Blue"] },
      ]),
    ).toEqual([
      { Size: "S", Color: "Red" },
      { Size: "S", Color: "Blue" },
      { Size: "L", Color: "Red" },
      { Size: "L", Color: "Blue" },
    ]);
  });

  it("makes one default variant without options", () => {
    expect(combinations([])).toEqual([{}]);
  });
});
