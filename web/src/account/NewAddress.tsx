import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, ok, type AddressFields, type Schemas } from "../api/client";
import { humanError } from "../lib/errors";
import { AddressForm, EMPTY_ADDRESS } from "../shop/AddressForm";
import { Alert } from "../ui/Layout";

/** Adds an address to the signed-in user's book. */
export function NewAddress({ onSaved, first }: { onSaved?(address: Schemas["AddressView"]): void; first: boolean }) {
  const queries = useQueryClient();
  // An empty book shows the form at once.
  const [opened, setOpen] = useState(false);
  const open = opened || first;
  const [address, setAddress] = useState<AddressFields>(EMPTY_ADDRESS);
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/addresses", {
          body: {
            ...address,
            state: address.state?.trim() || null,
            street2: address.street2?.trim() || null,
            is_default_shipping: first,
            is_default_billing: first,
          },
        }),
      ),
    onSuccess: (saved) => {
      void queries.invalidateQueries({ queryKey: ["addresses"] });
      setAddress(EMPTY_ADDRESS);
      setOpen(false);
      onSaved?.(saved);
    },
  });
  if (!open) {
    return (
      <button type="button" className="link" onClick={() => setOpen(true)}>
        Add a new address
      </button>
    );
  }
  return (
    <div className="new-address">
      <AddressForm legend="New address" value={address} onChange={setAddress} prefix="" error={save.error} />
      {save.error && <Alert>{humanError(save.error)}</Alert>}
      <button type="button" onClick={() => save.mutate()} disabled={save.isPending}>
        {save.isPending ? "Saving…" : "Save address"}
      </button>
    </div>
  );
}
