// Code a TypeScript client would write against the API, type-checked by
// scripts/openapi-check.sh (tsc --strict, tools/openapi/tsconfig.json) next to
// the schema.d.ts that openapi-typescript generates from the served OpenAPI
// document. Nothing here runs; it only has to compile. It stops compiling
// when the document drops or retypes something a client relies on: an
// operation id, a request body, a response, a field, an enum.
//
// "./schema" exists only in the script's temporary directory.
import type { components, operations, paths } from "./schema";

type Schemas = components["schemas"];
type Json<Response extends { content: { "application/json": unknown } }> = Response["content"]["application/json"];
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// Operation ids: generated clients name their functions after them, so each
// must exist, be unique and mean the same operation as its path and method.
type ListOrders = operations["list_orders"];
type AdminListOrders = operations["admin_list_orders"];
type GetOrder = operations["get_order"];
type Checkout = operations["checkout"];

export const sameOperations: [
  Equal<paths["/api/v1/orders"]["get"], ListOrders>,
  Equal<paths["/api/v1/admin/orders"]["get"], AdminListOrders>,
  Equal<paths["/api/v1/orders/{id}"]["get"], GetOrder>,
  Equal<paths["/api/v1/orders"]["post"], Checkout>,
] = [true, true, true, true];

// Checkout: the body, the idempotency header and the order it answers with.
type CheckoutBody = paths["/api/v1/orders"]["post"]["requestBody"]["content"]["application/json"];
type Order = Schemas["OrderView"];
type Money = Schemas["Money"];
type OrderStatus = Schemas["OrderStatus"];

export function checkoutRequest(
  shipping: string,
  billing: string,
  key: string,
): { body: CheckoutBody; headers: NonNullable<Checkout["parameters"]["header"]> } {
  return {
    body: { shipping_address_id: shipping, billing_address_id: billing, payment_method: "manual" },
    headers: { "Idempotency-Key": key },
  };
}

export const placed: (response: Json<Checkout["responses"][201]>) => Order = (order) => order;

// Money is integer minor units and a currency code.
export function formatMoney(money: Money): string {
  const amount: number = money.amount;
  const currency: string = money.currency;
  return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
}

// Statuses are a closed set, not any string: a client can switch over them.
export const statusLabels: Record<OrderStatus, string> = {
  pending_payment: "Awaiting payment",
  confirmed: "Confirmed",
  processing: "Being prepared",
  shipped: "Shipped",
  out_for_delivery: "Out for delivery",
  delivered: "Delivered",
  cancelled: "Cancelled",
};
export const statusIsClosed: Equal<string extends OrderStatus ? true : false, false> = true;

export function describe(order: Json<GetOrder["responses"][200]>): string {
  const lines = order.items.map(
    (item) => `${item.quantity} × ${item.name} (${item.sku}) ${formatMoney(item.line_total)}`,
  );
  const latest = order.timeline[order.timeline.length - 1];
  const tracking = order.tracking_number ?? "not shipped yet";
  return [
    `${order.order_number}: ${statusLabels[order.status]}, payment ${order.payment_status}`,
    ...lines,
    `total ${formatMoney(order.total)} (tax ${formatMoney(order.tax)}, shipping ${formatMoney(order.shipping)})`,
    `since ${latest?.at ?? order.created_at}, tracking ${tracking}`,
  ].join("\n");
}

// Lists: paging parameters in, a page of summaries out; admins also filter
// by customer and see whose order each one is.
export const firstPage: NonNullable<ListOrders["parameters"]["query"]> = { page: 1, page_size: 20 };
export const oneCustomer: NonNullable<AdminListOrders["parameters"]["query"]> = {
  user_id: "00000000-0000-0000-0000-000000000000",
  page: 1,
};

export function pageTotal(page: Json<ListOrders["responses"][200]>): Money[] {
  return page.items.map((summary) => summary.total);
}

export function customers(page: Json<AdminListOrders["responses"][200]>): string[] {
  return page.items.flatMap((summary) => (summary.user_id ? [summary.user_id] : []));
}

export function orderPath(id: GetOrder["parameters"]["path"]["id"]): string {
  return `/api/v1/orders/${encodeURIComponent(id)}`;
}

// Every error has one envelope: a stable code, a message, the request id.
export function errorLine(response: Json<GetOrder["responses"][404]>): string {
  const { code, message, request_id: requestId } = response.error;
  return `${code}: ${message}${requestId ? ` (request ${requestId})` : ""}`;
}
