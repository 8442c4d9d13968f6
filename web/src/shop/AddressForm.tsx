import { useId } from "react";
import type { AddressFields } from "../api/client";
import { countries, type CountryCode } from "../lib/countries";
import { fieldError } from "../lib/errors";

export const EMPTY_ADDRESS: AddressFields = {
  name: "",
  phone: "",
  street1: "",
  street2: "",
  city: "",
  state: "",
  postal_code: "",
  country: "US",
};

type Props = {
  legend: string;
  value: AddressFields;
  onChange(value: AddressFields): void;
  /** Where the API names this address's fields, e.g. `shipping_address`; empty for a bare address. */
  prefix: string;
  error: unknown;
};

/** A postal address, each field labelled and its 422 message shown beside it. */
export function AddressForm({ legend, value, onChange, prefix, error }: Props) {
  const id = useId();
  const key = (name: string) => (prefix ? `${prefix}.${name}` : name);
  const field = (
    name: keyof AddressFields,
    label: string,
    options: { required?: boolean; autoComplete?: string; type?: string } = {},
  ) => {
    const message = fieldError(error, key(name)) ?? (prefix ? fieldError(error, prefix) : undefined);
    const inputId = `${id}-${name}`;
    return (
      <div className="field">
        <label htmlFor={inputId}>
          {label}
          {!options.required && <span className="muted"> (optional)</span>}
        </label>
        <input
          id={inputId}
          name={name}
          type={options.type ?? "text"}
          required={options.required}
          autoComplete={options.autoComplete}
          value={(value[name] as string | null | undefined) ?? ""}
          onChange={(e) => onChange({ ...value, [name]: e.target.value })}
          aria-invalid={message ? true : undefined}
          aria-describedby={message ? `${inputId}-error` : undefined}
        />
        {message && (
          <p id={`${inputId}-error`} className="field-error">
            {message}
          </p>
        )}
      </div>
    );
  };
  const countryError = fieldError(error, key("country"));
  return (
    <fieldset className="address">
      <legend>{legend}</legend>
      {field("name", "Full name", { required: true, autoComplete: "name" })}
      {field("street1", "Street address", { required: true, autoComplete: "address-line1" })}
      {field("street2", "Apartment, suite, etc.", { autoComplete: "address-line2" })}
      {field("city", "City", { required: true, autoComplete: "address-level2" })}
      {field("state", "State or region", { autoComplete: "address-level1" })}
      {field("postal_code", "Postal code", { required: true, autoComplete: "postal-code" })}
      <div className="field">
        <label htmlFor={`${id}-country`}>Country</label>
        <select
          id={`${id}-country`}
          autoComplete="country"
          value={value.country}
          onChange={(e) => onChange({ ...value, country: e.target.value as CountryCode })}
          aria-invalid={countryError ? true : undefined}
        >
          {countries().map((c) => (
            <option key={c.code} value={c.code}>
              {c.name}
            </option>
          ))}
        </select>
        {countryError && <p className="field-error">{countryError}</p>}
      </div>
      {field("phone", "Phone", { required: true, autoComplete: "tel", type: "tel" })}
    </fieldset>
  );
}
