/**
 * Labelled form controls: a text input, a select and a text area, each tied to its label by id so
 * screen readers and tests find them by their label.
 */
import { forwardRef, useId } from "react";
import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes, TextareaHTMLAttributes } from "react";

interface Labelled {
  label: string;
  hint?: ReactNode;
}

export const TextField = forwardRef<HTMLInputElement, Labelled & InputHTMLAttributes<HTMLInputElement>>(
  function TextField({ label, hint, id, ...rest }, ref) {
    const auto = useId();
    const inputId = id ?? auto;
    return (
      <div className="field">
        <label htmlFor={inputId}>{label}</label>
        <input id={inputId} ref={ref} {...rest} />
        {hint !== undefined && <span className="hint">{hint}</span>}
      </div>
    );
  },
);

export interface Choice {
  value: string;
  label: string;
}

export function SelectField({
  label,
  hint,
  id,
  choices,
  ...rest
}: Labelled & SelectHTMLAttributes<HTMLSelectElement> & { choices: Choice[] }) {
  const auto = useId();
  const selectId = id ?? auto;
  return (
    <div className="field">
      <label htmlFor={selectId}>{label}</label>
      <select id={selectId} {...rest}>
        {choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
      {hint !== undefined && <span className="hint">{hint}</span>}
    </div>
  );
}

export function TextArea({ label, hint, id, ...rest }: Labelled & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const auto = useId();
  const areaId = id ?? auto;
  return (
    <div className="field">
      <label htmlFor={areaId}>{label}</label>
      <textarea id={areaId} {...rest} />
      {hint !== undefined && <span className="hint">{hint}</span>}
    </div>
  );
}
