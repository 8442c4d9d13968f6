import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { api, ApiError, ok, type AddressFields, type Cart, type Schemas } from "../api/client";
import { fieldError, humanError } from "../lib/errors";
import type { CountryCode } from "../lib/countries";
import { formatMoney } from "../lib/money";
import { useSession } from "../session";
import { NewAddress } from "../account/NewAddress";
import { Alert, Loading } from "../ui/Layout";
import { AddressForm, EMPTY_ADDRESS } from "./AddressForm";
import { useCart } from "./cart";
import { useShop } from "./shop";
import { Lines } from "./CartPage";
import { CodeForm } from "./CodeForm";
import { useDebounced } from "./SearchBox";
import { Totals } from "./Totals";

type Destination = { country: CountryCode; region?: string };

export function CheckoutPage() {
  const { user, ready } = useSession();
  const cart = useCart();
  if (!ready || cart.isPending) return <Loading what="Loading checkout" />;
  if (cart.error) return <Alert>{humanError(cart.error)}</Alert>;
  if (cart.data.items.length === 0) {
    return (
      <div className="page narrow">
        <h1>Checkout</h1>
        <p>
          Your cart is empty. <Link to="/">Continue shopping</Link>
        </p>
      </div>
    );
  }
  return <Checkout signedIn={user !== null} />;
}

function Checkout({ signedIn }: { signedIn: boolean }) {
  const queries = useQueryClient();
  const navigate = useNavigate();
  const cart = useCart();
  const shop = useShop();
  const cards = shop.data?.payment_method === "stripe";
  const [email, setEmail] = useState("");
  const [shipping, setShipping] = useState<AddressFields>(EMPTY_ADDRESS);
  const [billing, setBilling] = useState<AddressFields>(EMPTY_ADDRESS);
  const [sameBilling, setSameBilling] = useState(true);
  const [shippingId, setShippingId] = useState<string>("");
  const [billingId, setBillingId] = useState<string>("");
  const [method, setMethod] = useState<string>("");
  const attempt = useRef(crypto.randomUUID());

  const book = useQuery({
    queryKey: ["addresses"],
    enabled: signedIn,
    queryFn: () => ok(api.GET("/api/v1/addresses")),
  });
  useEffect(() => {
    const items = book.data?.items ?? [];
    if (!shippingId && items.length) {
      setShippingId((items.find((a) => a.is_default_shipping) ?? items[0])?.id ?? "");
    }
    if (!billingId && items.length) {
      setBillingId((items.find((a) => a.is_default_billing) ?? items[0])?.id ?? "");
    }
  }, [book.data, shippingId, billingId]);

  const chosen = book.data?.items.find((a) => a.id === shippingId);
  const typed = useDebounced({ country: shipping.country, region: shipping.state?.trim() || undefined }, 400);
  const destination: Destination | null = signedIn
    ? chosen
      ? { country: chosen.country as CountryCode, region: chosen.state ?? undefined }
      : null
    : typed;

  const options = useQuery({
    queryKey: ["cart", "shipping", destination],
    enabled: destination !== null,
    queryFn: () =>
      ok(api.GET("/api/v1/cart/shipping-options", { params: { query: destination ?? { country: "US" } } })),
  });
  const methods = options.data ?? [];
  const methodId = methods.some((m) => m.id === method) ? method : methods[0]?.id;

  const quote = useQuery({
    queryKey: ["cart", "quote", destination, methodId],
    enabled: destination !== null && methodId !== undefined,
    queryFn: () =>
      ok(
        api.GET("/api/v1/cart", {
          params: { query: { ...(destination ?? { country: "US" }), shipping_method: methodId } },
        }),
      ),
  });

  const place = useMutation({
    mutationFn: async () => {
      const body: Schemas["CheckoutRequest"] = {
        payment_method: shop.data?.payment_method ?? "manual",
        shipping_method: methodId ?? null,
        expected_total: quote.data?.total.amount ?? null,
      };
      if (signedIn) {
        body.shipping_address_id = shippingId;
        body.billing_address_id = sameBilling ? shippingId : billingId;
      } else {
        body.email = email.trim();
        body.shipping_address = clean(shipping);
        body.billing_address = clean(sameBilling ? shipping : billing);
      }
      return ok(
        api.POST("/api/v1/orders", {
          body,
          params: { header: { "Idempotency-Key": attempt.current } },
        }),
      );
    },
    onSuccess: (order) => {
      // The cart is empty now: read again, with the orders.
      void queries.invalidateQueries({ queryKey: ["cart"] });
      void queries.invalidateQueries({ queryKey: ["orders"] });
      queries.setQueryData(["order", order.id], order);
      if (order.order_token) {
        navigate(`/orders/lookup?token=${encodeURIComponent(order.order_token)}`, { state: { placed: true } });
      } else {
        navigate(`/orders/${order.id}`, { state: { placed: true } });
      }
    },
    onError: (error) => {
      // Another attempt is another order: a new key.
      attempt.current = crypto.randomUUID();
      if (error instanceof ApiError && error.status === 409) {
        void queries.invalidateQueries({ queryKey: ["cart"] });
      }
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    place.mutate();
  };
  const ships = methods.length > 0;
  const blocked = (quote.data?.items ?? []).some((l) => l.availability !== "in_stock");

  return (
    <div className="page checkout">
      <h1>Checkout</h1>
      <div className="two-columns">
        <form id="checkout-form" className="steps" onSubmit={submit} noValidate>
          {!signedIn && (
            <fieldset>
              <legend>Contact</legend>
              <p className="muted small">
                Have an account? <Link to="/account/sign-in?next=/checkout">Sign in</Link> for your saved addresses.
              </p>
              <div className="field">
                <label htmlFor="email">Email</label>
                <input
                  id="email"
                  type="email"
                  autoComplete="email"
                  required
                  value={email}
                  onChange={(e) => setEmail(e.target.value)}
                  aria-invalid={fieldError(place.error, "email") ? true : undefined}
                  aria-describedby="email-help"
                />
                <p id="email-help" className={fieldError(place.error, "email") ? "field-error" : "muted small"}>
                  {fieldError(place.error, "email") ?? "We send the order confirmation and its link here."}
                </p>
              </div>
            </fieldset>
          )}

          {signedIn ? (
            <AddressBookChoice
              legend="Shipping address"
              name="shipping"
              addresses={book.data?.items ?? []}
              value={shippingId}
              onChange={setShippingId}
              error={fieldError(place.error, "shipping_address_id")}
            />
          ) : (
            <AddressForm
              legend="Shipping address"
              value={shipping}
              onChange={setShipping}
              prefix="shipping_address"
              error={place.error}
            />
          )}

          <label className="check">
            <input type="checkbox" checked={sameBilling} onChange={(e) => setSameBilling(e.target.checked)} />
            Bill to the shipping address
          </label>
          {!sameBilling &&
            (signedIn ? (
              <AddressBookChoice
                legend="Billing address"
                name="billing"
                addresses={book.data?.items ?? []}
                value={billingId}
                onChange={setBillingId}
                error={fieldError(place.error, "billing_address_id")}
              />
            ) : (
              <AddressForm
                legend="Billing address"
                value={billing}
                onChange={setBilling}
                prefix="billing_address"
                error={place.error}
              />
            ))}

          <fieldset>
            <legend>Shipping method</legend>
            {destination === null && <p className="muted">Choose an address first.</p>}
            {options.isFetching && methods.length === 0 && <Loading what="Finding shipping methods" />}
            {destination && options.isSuccess && !ships && (
              <p className="warn" role="alert">
                We do not ship to this address yet.
              </p>
            )}
            {methods.map((m) => (
              <label key={m.id} className="choice">
                <input
                  type="radio"
                  name="shipping_method"
                  value={m.id}
                  checked={m.id === methodId}
                  onChange={() => setMethod(m.id)}
                />
                <span>
                  {m.name} — {m.price.amount === 0 ? "Free" : formatMoney(m.price)}
                  <span className="muted small">
                    {" "}
                    ({m.estimated_days_min}–{m.estimated_days_max} business days)
                  </span>
                </span>
              </label>
            ))}
            {fieldError(place.error, "shipping_method") && (
              <p className="field-error">{fieldError(place.error, "shipping_method")}</p>
            )}
          </fieldset>

          <fieldset>
            <legend>Payment</legend>
            <label className="choice">
              <input type="radio" name="payment" value={cards ? "stripe" : "manual"} checked readOnly />
              <span>{cards ? "Card: you pay on the next page, once the order is placed" : "Pay on delivery"}</span>
            </label>
          </fieldset>
        </form>

        {/* Outside the checkout form: the code form is a form of its own. */}
        <aside className="summary" aria-label="Order summary">
          <h2>Order summary</h2>
          {quote.data ? <Lines cart={quote.data} editable={false} /> : null}
          {(quote.data ?? cart.data) && <CodeForm cart={quote.data ?? (cart.data as Cart)} />}
          {quote.isFetching && !quote.data && <Loading what="Pricing your order" />}
          {quote.data && <Totals of={quote.data} />}
          {!quote.data && destination === null && (
            <p className="muted small">Shipping and tax appear once you enter an address.</p>
          )}
          {place.error && <Alert>{humanError(place.error)}</Alert>}
          <button
            type="submit"
            form="checkout-form"
            className="primary wide"
            disabled={place.isPending || !quote.data || !ships || blocked}
          >
            {place.isPending ? "Placing your order…" : quote.data ? `Place order · ${formatMoney(quote.data.total)}` : "Place order"}
          </button>
        </aside>
      </div>
    </div>
  );
}

function AddressBookChoice(props: {
  legend: string;
  name: string;
  addresses: Schemas["AddressView"][];
  value: string;
  onChange(id: string): void;
  error?: string;
}) {
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {props.addresses.length === 0 && <p>Your address book is empty: add an address to continue.</p>}
      {props.addresses.map((a) => (
        <label key={a.id} className="choice">
          <input
            type="radio"
            name={props.name}
            value={a.id}
            checked={props.value === a.id}
            onChange={() => props.onChange(a.id)}
          />
          <span>
            <strong>{a.name}</strong>, {a.street1}, {a.city} {a.postal_code}, {a.country}
          </span>
        </label>
      ))}
      {props.error && <p className="field-error">{props.error}</p>}
      <NewAddress first={props.addresses.length === 0} onSaved={(saved) => props.onChange(saved.id)} />
    </fieldset>
  );
}

/** Optional fields left blank are sent as absent. */
function clean(address: AddressFields): AddressFields {
  return {
    ...address,
    state: address.state?.trim() || null,
    street2: address.street2?.trim() || null,
  };
}
