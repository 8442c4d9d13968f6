import { ApiError } from "../api/client";

// What shoppers and admins read: sentences, never codes.
const sentences: Record<string, string> = {
  network: "We could not reach the shop. Check your connection and try again.",
  cart_empty: "Your cart is empty.",
  price_changed:
    "The total changed while you were checking out. Please review the new total and place the order again.",
  discount_exhausted: "That discount code has just been used up. Remove it to check out without it.",
  discount_expired: "That discount code has expired. Remove it to check out without it.",
  discount_not_started: "That discount code is not active yet. Remove it to check out without it.",
  discount_code_taken: "Another discount already uses that code.",
  email_taken: "An account with that email already exists. Try signing in instead.",
  rate_limited: "Too many attempts. Please wait a minute and try again.",
  invalid_token: "This link has expired or was already used. Ask for a new one.",
  illegal_transition: "This can no longer be changed that way; it may have just changed. Reload to see where it stands.",
  order_not_shippable: "This order cannot be marked shipped: it is not paid yet, or it has shipped already.",
  status_not_reached: "The order has not reached that status, so there is no such email to send.",
  variant_required: "Choose an option before adding this to your cart.",
  variant_exists: "A variant with those options already exists.",
  not_found: "We could not find that.",
  forbidden: "You do not have access to this page.",
};

const reasons: Record<string, string> = {
  unknown: "We do not recognise that code.",
  expired: "That code has expired.",
  not_started: "That code is not active yet.",
  exhausted: "That code has been used up.",
  minimum_not_met: "Your cart does not reach that code's minimum yet.",
  not_applicable: "That code does not apply to anything in your cart.",
  not_combinable: "That code cannot be combined with the other codes on your cart.",
};

/** A sentence for any error, for showing to people. */
export function humanError(error: unknown): string {
  if (!(error instanceof ApiError)) return "Something went wrong. Please try again.";
  if (error.code === "discount_code_rejected" && error.reason) {
    return reasons[error.reason] ?? "That code cannot be used.";
  }
  const known = sentences[error.code];
  if (known) return known;
  if (error.status === 422 && Object.keys(error.fields).length > 0) {
    return "Please correct the highlighted fields.";
  }
  if (error.status === 429) return sentences.rate_limited ?? "";
  if (error.status >= 500 || error.status === 0) {
    return "The shop is having trouble right now. Please try again in a moment.";
  }
  return error.message ? sentenceCase(error.message) : "Something went wrong. Please try again.";
}

/** The message for one field of a 422, as written for people. */
export function fieldError(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const why = error.fields[field];
  return why ? sentenceCase(why) : undefined;
}

/** A reason a code on the cart does not apply, for people. */
export function codeReason(reason: string | null | undefined): string {
  return (reason && reasons[reason]) || "This code does not apply right now.";
}

function sentenceCase(text: string): string {
  const trimmed = text.trim();
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
