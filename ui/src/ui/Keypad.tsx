/**
 * A PIN keypad for touch screens. Digits append, "Clear" empties, "⌫" removes the last digit and
 * "Enter" submits. The same PIN can be typed on the keyboard into the field the keypad sits beside.
 */
import { Button } from "./Button";

export interface KeypadProps {
  onDigit: (digit: string) => void;
  onBack: () => void;
  onClear: () => void;
  onEnter: () => void;
  disabled?: boolean;
}

export function Keypad({ onDigit, onBack, onClear, onEnter, disabled }: KeypadProps) {
  const digits = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
  return (
    <div className="keypad" role="group" aria-label="PIN keypad">
      {digits.map((d) => (
        <Button key={d} onClick={() => onDigit(d)} disabled={disabled} data-testid={`keypad-${d}`}>
          {d}
        </Button>
      ))}
      <Button onClick={onClear} disabled={disabled} aria-label="Clear PIN" data-testid="keypad-clear">
        Clear
      </Button>
      <Button onClick={() => onDigit("0")} disabled={disabled} data-testid="keypad-0">
        0
      </Button>
      <Button onClick={onBack} disabled={disabled} aria-label="Delete last digit" data-testid="keypad-back">
        ⌫
      </Button>
      <Button look="primary" onClick={onEnter} disabled={disabled} data-testid="keypad-enter" style={{ gridColumn: "1 / -1" }}>
        Enter
      </Button>
    </div>
  );
}
