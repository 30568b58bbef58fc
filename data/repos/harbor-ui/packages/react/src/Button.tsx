import { color, radius, space } from "@harbor-ui/tokens";
import type { ButtonHTMLAttributes } from "react";

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: "primary" | "secondary" | "danger";
  loading?: boolean;
}

const background = { primary: color.harbor[500], secondary: color.paper, danger: color.danger };

/** A button. `loading` disables it and tells assistive technology it is busy. */
export function Button({ variant = "primary", loading = false, disabled, children, ...rest }: ButtonProps) {
  return (
    <button
      {...rest}
      disabled={disabled || loading}
      aria-busy={loading || undefined}
      style={{
        background: background[variant],
        color: variant === "secondary" ? color.ink : color.paper,
        borderRadius: radius.md,
        padding: `${space[2]}px ${space[4]}px`,
      }}
    >
      {loading ? "…" : children}
    </button>
  );
}
