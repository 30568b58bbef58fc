import { Router } from "express";
import { z } from "zod";
import { pool } from "../db/pool.js";

const Recipe = z.object({
  title: z.string().min(1),
  minutes: z.number().int().positive(),
  servings: z.number().int().positive(),
  tags: z.array(z.string()).default([]),
});

const router = Router();

router.get("/", async (_req, res) => {
  const { rows } = await pool.query("SELECT * FROM recipes ORDER BY created_at DESC LIMIT 200");
  res.json(rows);
});

router.post("/", async (req, res) => {
  const parsed = Recipe.safeParse(req.body);
  if (!parsed.success) return res.status(400).json(parsed.error.flatten());
  const { title, minutes, servings, tags } = parsed.data;
  const { rows } = await pool.query(
    "INSERT INTO recipes (title, minutes, servings, tags) VALUES ($1, $2, $3, $4) RETURNING *",
    [title, minutes, servings, tags]
  );
  res.status(201).json(rows[0]);
});

export default router;
