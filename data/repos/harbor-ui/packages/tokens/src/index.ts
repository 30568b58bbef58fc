/** Harbor's design tokens. The CSS variables in dist/tokens.css are generated from these. */
export const color = {
  ink: "#0f172a",
  paper: "#ffffff",
  harbor: { 50: "#eff8ff", 500: "#1d75d8", 700: "#1553a1" },
  danger: "#c81e1e",
} as const;

export const space = [0, 4, 8, 12, 16, 24, 32, 48] as const;

export const radius = { sm: 4, md: 8, pill: 999 } as const;

export const font = {
  body: "'Inter', system-ui, sans-serif",
  mono: "'JetBrains Mono', ui-monospace, monospace",
} as const;
