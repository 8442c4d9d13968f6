// Paying an order by card with Stripe's Payment Element, loaded only here
// and only for a shop that takes cards.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";
import type { Stripe, StripeElements } from "@stripe/stripe-js";
import { api, ok, type Order } from "../api/client";
import { humanError } from "../lib/errors";
import { formatMoney } from "../lib/money";
import { Alert, Loading } from "../ui/Layout";
import { useShop } from "./shop";

/** Where the client secret of `order`'s payment comes from. */
export type PaymentAccess = { order: Order; token?: string };

export function CardPayment({ order, token }: PaymentAccess) {
  const shop = useShop();
  const key = shop.data?.stripe_publishable_key;
  const secret = useQuery({
    queryKey: ["payment", order.id],
    enabled: Boolean(key),
    queryFn: () =>
      token
        ? ok(api.POST("/api/v1/orders/lookup/payment", { params: { query: { token } } }))
        : ok(api.POST("/api/v1/orders/{id}/payment", { params: { path: { id: order.id } } })),
    staleTime: Infinity,
  });
  const mount = useRef<HTMLDivElement>(null);
  const [stripe, setStripe] = useState<{ stripe: Stripe; elements: StripeElements } | null>(null);
  const [problem, setProblem] = useState("");
  const [paying, setPaying] = useState(false);
  const clientSecret = secret.data?.client_secret;

  useEffect(() => {
    if (!key || !clientSecret || !mount.current) return;
    let cancelled = false;
    const target = mount.current;
    import("@stripe/stripe-js/pure")
      .then(({ loadStripe }) => loadStripe(key))
      .then((loaded) => {
        if (cancelled) return;
        if (!loaded) throw new Error("no Stripe.js");
        const elements = loaded.elements({ clientSecret });
        elements.create("payment").mount(target);
        setStripe({ stripe: loaded, elements });
      })
      .catch(() => {
        if (!cancelled) setProblem("The card form could not be loaded. Check your connection and reload the page.");
      });
    return () => {
      cancelled = true;
    };
  }, [key, clientSecret]);

  const pay = async (event: FormEvent) => {
    event.preventDefault();
    if (!stripe) return;
    setPaying(true);
    setProblem("");
    // Stripe comes back to this page, which follows the order until it is paid.
    const { error } = await stripe.stripe.confirmPayment({
      elements: stripe.elements,
      confirmParams: { return_url: window.location.href },
    });
    setPaying(false);
    if (error) setProblem(error.message ?? "The payment did not go through. Please try again.");
  };

  if (shop.isPending) return <Loading what="Loading the payment form" />;
  if (!key) {
    return <Alert>This shop cannot take card payments online yet. Please contact the shop to pay.</Alert>;
  }
  return (
    <form onSubmit={pay} className="card-payment" aria-labelledby="pay-heading">
      <h2 id="pay-heading">Pay {formatMoney(order.total)}</h2>
      {secret.error ? <Alert>{humanError(secret.error)}</Alert> : null}
      {!stripe && !problem && <Loading what="Loading the card form" />}
      <div ref={mount} />
      {problem && <Alert>{problem}</Alert>}
      <button type="submit" className="primary wide" disabled={!stripe || paying}>
        {paying ? "Paying…" : `Pay ${formatMoney(order.total)}`}
      </button>
    </form>
  );
}
