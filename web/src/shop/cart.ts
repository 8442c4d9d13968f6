import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Cart } from "../api/client";

/** The visitor's or user's cart, before shipping and tax. */
export function useCart() {
  return useQuery({
    queryKey: ["cart"],
    queryFn: () => ok(api.GET("/api/v1/cart")),
  });
}

/** Cart changes; each answers with the cart, which replaces the cached one. */
export function useCartActions() {
  const queries = useQueryClient();
  const settle = (cart: Cart) => {
    queries.setQueryData(["cart"], cart);
    // Priced previews (with a destination) are stale now.
    void queries.invalidateQueries({ queryKey: ["cart", "quote"] });
    void queries.invalidateQueries({ queryKey: ["cart", "shipping"] });
  };
  const add = useMutation({
    mutationFn: (item: { variant_id: string; quantity: number }) =>
      ok(api.POST("/api/v1/cart/items", { body: item })),
    onSuccess: settle,
  });
  const setQuantity = useMutation({
    mutationFn: ({ variant_id, quantity }: { variant_id: string; quantity: number }) =>
      ok(
        api.PATCH("/api/v1/cart/items/{variant_id}", {
          params: { path: { variant_id } },
          body: { quantity },
        }),
      ),
    onSuccess: settle,
  });
  const remove = useMutation({
    mutationFn: (variant_id: string) =>
      ok(api.DELETE("/api/v1/cart/items/{variant_id}", { params: { path: { variant_id } } })),
    onSuccess: settle,
  });
  const applyCode = useMutation({
    mutationFn: (code: string) => ok(api.POST("/api/v1/cart/discount-codes", { body: { code } })),
    onSuccess: settle,
  });
  const removeCode = useMutation({
    mutationFn: (code: string) =>
      ok(api.DELETE("/api/v1/cart/discount-codes/{code}", { params: { path: { code } } })),
    onSuccess: settle,
  });
  return { add, setQuantity, remove, applyCode, removeCode };
}
