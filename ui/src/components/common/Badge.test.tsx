import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render } from "@testing-library/react";
import { Badge } from "./Badge";

afterEach(cleanup);

describe("Badge", () => {
  it("sets critical apart from high, and says the word", () => {
    const { container } = render(
      <>
        <Badge value="critical" />
        <Badge value="high" />
      </>,
    );
    const [critical, high] = [...container.querySelectorAll(".badge")];
    expect(critical?.className).toBe("badge critical");
    expect(critical?.textContent).toBe("Critical");
    expect(high?.className).toBe("badge danger");
  });
});
