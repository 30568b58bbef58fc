export async function fetchRecipes() {
  const res = await fetch("/api/recipes");
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

export async function saveRecipe(recipe) {
  const res = await fetch("/api/recipes", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(recipe),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}
