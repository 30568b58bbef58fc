import { useMemo, useState } from "react";
import RecipeCard from "./RecipeCard.jsx";

export default function RecipeList({ recipes }) {
  const [query, setQuery] = useState("");
  const shown = useMemo(
    () => recipes.filter((r) => r.title.toLowerCase().includes(query.toLowerCase())),
    [recipes, query]
  );
  return (
    <section>
      <input placeholder="Search recipes" value={query} onChange={(e) => setQuery(e.target.value)} />
      <div className="grid">
        {shown.map((r) => (
          <RecipeCard key={r.id} recipe={r} />
        ))}
      </div>
    </section>
  );
}
