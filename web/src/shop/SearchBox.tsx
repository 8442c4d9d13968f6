import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState, type FormEvent, type KeyboardEvent } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { api, ok } from "../api/client";
import { useCategories } from "../ui/Layout";

/** Waits until `value` has been still for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** The header's search: completions as you type (categories, then
 * products), Enter for every result. */
export function SearchBox() {
  const [params] = useSearchParams();
  const [text, setText] = useState(params.get("q") ?? "");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const navigate = useNavigate();
  const id = useId();
  const q = useDebounced(text.trim(), 200);

  const categories = useCategories();
  const results = useQuery({
    queryKey: ["suggest", q],
    enabled: q.length >= 2,
    queryFn: () => ok(api.GET("/api/v1/products/suggest", { params: { query: { q } } })),
    staleTime: 60_000,
  });
  const items = q.length >= 2 ? (results.data?.suggestions ?? []) : [];
  const expanded = open && items.length > 0;
  const target = (item: (typeof items)[number]) => {
    if (item.kind === "product") return `/p/${item.id}`;
    const slug = categories.data?.items.find((c) => c.id === item.id)?.slug;
    return slug ? `/c/${slug}` : `/search?q=${encodeURIComponent(item.text)}`;
  };

  const go = (to: string) => {
    setOpen(false);
    setActive(-1);
    navigate(to);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const chosen = active >= 0 ? items[active] : undefined;
    if (chosen) go(target(chosen));
    else if (text.trim()) go(`/search?q=${encodeURIComponent(text.trim())}`);
  };
  const keys = (event: KeyboardEvent) => {
    if (event.key === "ArrowDown" && items.length) {
      event.preventDefault();
      setOpen(true);
      setActive((a) => (a + 1) % items.length);
    } else if (event.key === "ArrowUp" && items.length) {
      event.preventDefault();
      setActive((a) => (a <= 0 ? items.length - 1 : a - 1));
    } else if (event.key === "Escape") {
      setOpen(false);
      setActive(-1);
    }
  };

  return (
    <form role="search" className="search" onSubmit={submit}>
      <label htmlFor={`${id}-q`} className="visually-hidden">
        Search products
      </label>
      <input
        id={`${id}-q`}
        type="search"
        placeholder="Search products"
        autoComplete="off"
        role="combobox"
        aria-expanded={expanded}
        aria-controls={`${id}-list`}
        aria-autocomplete="list"
        aria-activedescendant={active >= 0 ? `${id}-${active}` : undefined}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          setActive(-1);
        }}
        onKeyDown={keys}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
      />
      <button type="submit">Search</button>
      <ul id={`${id}-list`} role="listbox" aria-label="Suggestions" className="suggestions" hidden={!expanded}>
        {items.map((item, index) => (
          <li
            key={`${item.kind}-${item.id}`}
            id={`${id}-${index}`}
            role="option"
            aria-selected={index === active}
            onMouseDown={(e) => {
              e.preventDefault();
              go(target(item));
            }}
          >
            <span>{item.text}</span>
            {item.kind === "category" && <span className="muted">Category</span>}
          </li>
        ))}
      </ul>
    </form>
  );
}
