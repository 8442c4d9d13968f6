-- A row refused when its file was read (and reported then) is staged too,
-- as a mark on its product: when it is the product's first row, the
-- product is skipped with all its rows, since its own fields come from it.
ALTER TABLE product_import_rows ADD COLUMN refused boolean NOT NULL DEFAULT false;
