/**
 * The one button of the design system: at least 44px square, a visible focus ring (from the
 * stylesheet), and three looks. Defaults to `type="button"` so it never submits a form by accident.
 */
import { forwardRef } from "react";
import type { ButtonHTMLAttributes } from "react";

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  look?: "primary" | "secondary" | "danger";
  large?: boolean;
}

export const Button = forwardRef<HTMLButtonElement, ButtonProps>(function Button(
  { look = "secondary", large = false, className, type, ...rest },
  ref,
) {
  const classes = ["btn", `btn-${look}`, large ? "btn-large" : "", className ?? ""].filter(Boolean).join(" ");
  return <button ref={ref} type={type ?? "button"} className={classes} {...rest} />;
});
