import { useQuery } from "@tanstack/react-query";
import { api, ok } from "../api/client";

/** The shop's public settings: its currency and how it takes payment. */
export function useShop() {
  return useQuery({
    queryKey: ["shop"],
    queryFn: () => ok(api.GET("/api/v1/shop")),
    staleTime: Infinity,
  });
}
