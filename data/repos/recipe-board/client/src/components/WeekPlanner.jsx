import { useState } from "react";
import RecipeCard from "./RecipeCard.jsx";

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

export default function WeekPlanner({ recipes }) {
  const [plan, setPlan] = useState({});
  const add = (day) => (recipe) => setPlan({ ...plan, [day]: recipe });
  return (
    <div className="week">
      {DAYS.map((d) => (
        <div key={d} className="day">
          <h4>{d}</h4>
          {plan[d] ? <RecipeCard recipe={plan[d]} /> : <em>nothing planned</em>}
          <select onChange={(e) => add(d)(recipes.find((r) => r.id === Number(e.target.value)))}>
            <option>choose…</option>
            {recipes.map((r) => (
              <option key={r.id} value={r.id}>{r.title}</option>
            ))}
          </select>
        </div>
      ))}
    </div>
  );
}
