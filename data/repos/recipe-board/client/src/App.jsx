import { useEffect, useState } from "react";
import { Route, Routes } from "react-router-dom";
import RecipeList from "./components/RecipeList.jsx";
import WeekPlanner from "./components/WeekPlanner.jsx";
import { fetchRecipes } from "./api.js";

export default function App() {
  const [recipes, setRecipes] = useState([]);
  const [error, setError] = useState(null);

  useEffect(() => {
    fetchRecipes().then(setRecipes).catch((e) => setError(e.message));
  }, []);

  if (error) return <p className="error">Could not load recipes: {error}</p>;
  return (
    <Routes>
      <Route path="/" element={<RecipeList recipes={recipes} />} />
      <Route path="/week" element={<WeekPlanner recipes={recipes} />} />
    </Routes>
  );
}
