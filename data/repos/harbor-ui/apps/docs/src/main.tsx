import { Button } from "@harbor-ui/react";
import { createRoot } from "react-dom/client";

function App() {
  return (
    <main>
      <h1>Harbor UI</h1>
      <Button onClick={() => alert("Ahoy")}>Primary</Button>
      <Button variant="secondary">Secondary</Button>
    </main>
  );
}

createRoot(document.getElementById("root")!).render(<App />);
