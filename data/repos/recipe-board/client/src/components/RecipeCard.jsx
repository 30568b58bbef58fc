export default function RecipeCard({ recipe, onPlan }) {
  return (
    <article className="card">
      <h3>{recipe.title}</h3>
      <p>{recipe.minutes} min · serves {recipe.servings}</p>
      <ul>
        {recipe.tags.map((t) => (
          <li key={t}>{t}</li>
        ))}
      </ul>
      {onPlan && <button onClick={() => onPlan(recipe)}>Add to week</button>}
    </article>
  );
}
