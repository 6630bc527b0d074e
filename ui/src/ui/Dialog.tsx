/**
 * A modal confirmation: a title, a body, confirm and cancel. Escape cancels; focus starts on the
 * first field inside or, when there is none, on Cancel (so a stray Enter never confirms).
 */
import { useEffect, useRef } from "react";
import type { ReactNode } from "react";
import { Button } from "./Button";

export interface DialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  confirmDisabled?: boolean;
  danger?: boolean;
  testId?: string;
}

export function Dialog({ title, children, confirmLabel, onConfirm, onCancel, confirmDisabled, danger, testId }: DialogProps) {
  const box = useRef<HTMLDivElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const field = box.current?.querySelector<HTMLElement>("input, textarea, select");
    (field ?? cancel.current)?.focus();
  }, []);
  return (
    <div className="backdrop" onKeyDown={(e) => e.key === "Escape" && onCancel()}>
      <div className="dialog stack" role="dialog" aria-modal="true" aria-label={title} ref={box} data-testid={testId}>
        <h2>{title}</h2>
        {children}
        <div className="row">
          <Button look={danger ? "danger" : "primary"} onClick={onConfirm} disabled={confirmDisabled} data-testid={testId ? `${testId}-confirm` : undefined}>
            {confirmLabel}
          </Button>
          <Button ref={cancel} onClick={onCancel} data-testid={testId ? `${testId}-cancel` : undefined}>
            Cancel
          </Button>
        </div>
      </div>
    </div>
  );
}
