/** A labelled text input with its help or error text tied to it. */
export function TextField(props: {
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  error?: string;
  help?: string;
  required?: boolean;
  inputMode?: "decimal" | "numeric";
}) {
  const note = props.error ?? props.help;
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        value={props.value}
        required={props.required}
        inputMode={props.inputMode}
        onChange={(e) => props.onChange(e.target.value)}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={note ? `${props.id}-note` : undefined}
      />
      {note && (
        <p id={`${props.id}-note`} className={props.error ? "field-error" : "muted small"}>
          {note}
        </p>
      )}
    </div>
  );
}
