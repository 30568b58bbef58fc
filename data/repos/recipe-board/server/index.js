import cors from "cors";
import express from "express";
import session from "express-session";
import recipes from "./routes/recipes.js";

const app = express();
app.use(cors());
app.use(express.json());
app.use(session({ secret: process.env.SESSION_SECRET, resave: false, saveUninitialized: false }));
app.use("/api/recipes", recipes);
app.use(express.static("client/dist"));

const port = Number(process.env.PORT ?? 3001);
app.listen(port, () => console.log(`recipe-board api on :${port}`));
