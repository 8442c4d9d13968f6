-- wrk script for the catalog scenarios. SCENARIO picks the requests:
-- detail (a random product), list (a random category, by price, pages 1-5),
-- search (one of eight words), facets (the same with every facet counted)
-- or suggest (what a shopper has typed so far, two to six letters). BENCH_DATA names the folder with ids.txt
-- and slugs.txt.
local scenario = os.getenv("SCENARIO") or "detail"
local data = os.getenv("BENCH_DATA") or "."
local function lines(name)
  local out = {}
  for line in io.lines(data .. "/" .. name) do out[#out + 1] = line end
  return out
end
local ids = lines("ids.txt")
local slugs = lines("slugs.txt")
local words = { "kettle", "lamp", "head", "wireless", "tent", "desk", "bottle", "charger" }

request = function()
  if scenario == "detail" then
    return wrk.format("GET", "/api/v1/products/" .. ids[math.random(#ids)])
  elseif scenario == "list" then
    return wrk.format("GET", "/api/v1/products?category=" .. slugs[math.random(#slugs)]
      .. "&sort=price_asc&page=" .. math.random(5))
  elseif scenario == "facets" then
    return wrk.format("GET", "/api/v1/products?q=" .. words[math.random(#words)]
      .. "&facets=category,brand,price,options")
  elseif scenario == "suggest" then
    local word = words[math.random(#words)]
    return wrk.format("GET", "/api/v1/products/suggest?q="
      .. string.sub(word, 1, math.random(2, math.min(6, #word))))
  else
    return wrk.format("GET", "/api/v1/products?q=" .. words[math.random(#words)])
  end
end
