import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import RecipeCard from "./RecipeCard.jsx";

describe("RecipeCard", () => {
  it("shows title and tags", () => {
    render(<RecipeCard recipe={{ title: "Dal", minutes: 30, servings: 4, tags: ["vegan"] }} />);
    expect(screen.getByText("Dal")).toBeTruthy();
    expect(screen.getByText("vegan")).toBeTruthy();
  });
});
