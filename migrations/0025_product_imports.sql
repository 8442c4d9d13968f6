-- Product imports: a CSV file checked row by row when it is uploaded, its
-- good rows staged here, then written by a background job a batch of
-- products at a time. Each batch commits with the job's progress, so a job
-- that stops (a restart, a lost lease) resumes after the last batch; the
-- writes are idempotent by SKU, so a batch done twice changes nothing.
CREATE TABLE product_imports (
    id            uuid PRIMARY KEY,
    state         text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'done', 'failed')),
    -- The file's columns: a column the file leaves out leaves that field
    -- of every product as it is.
    columns       text[] NOT NULL,
    rows_total    integer NOT NULL CHECK (rows_total >= 0),
    rows_done     integer NOT NULL DEFAULT 0 CHECK (rows_done >= 0),
    rows_failed   integer NOT NULL DEFAULT 0 CHECK (rows_failed >= 0),
    products_created integer NOT NULL DEFAULT 0,
    products_updated integer NOT NULL DEFAULT 0,
    variants_created integer NOT NULL DEFAULT 0,
    variants_updated integer NOT NULL DEFAULT 0,
    -- The staged rows are done up to this group key.
    done_through  text NOT NULL DEFAULT '',
    -- Who holds the job, and until when.
    lease         uuid,
    lease_until   timestamptz,
    attempts      integer NOT NULL DEFAULT 0,
    failure       text,
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz
);
CREATE INDEX product_imports_waiting ON product_imports (created_at)
    WHERE state IN ('queued', 'running');

-- The good rows of a file waiting to be written. A product's rows share a
-- group key (`id:` and its id, or `name:` and the name of a new product);
-- the job takes whole groups in key order. Deleted when the job ends.
CREATE TABLE product_import_rows (
    import_id      uuid NOT NULL REFERENCES product_imports (id) ON DELETE CASCADE,
    group_key      text NOT NULL,
    row_no         integer NOT NULL,
    product_id     uuid,
    name           text,
    description    text,
    brand          text,
    category       text,
    active         boolean,
    option_names   jsonb NOT NULL,
    option_values  jsonb NOT NULL,
    sku            text NOT NULL,
    price          bigint,
    compare_at     bigint,
    stock          integer,
    weight_grams   integer,
    image_urls     jsonb,
    PRIMARY KEY (import_id, group_key, row_no)
);

-- What was wrong with a row (the first 1000 of an import are kept).
CREATE TABLE product_import_errors (
    import_id uuid NOT NULL REFERENCES product_imports (id) ON DELETE CASCADE,
    row_no    integer NOT NULL,
    field     text NOT NULL,
    message   text NOT NULL,
    PRIMARY KEY (import_id, row_no, field)
);
