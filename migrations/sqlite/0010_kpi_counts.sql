-- The counts behind each batch's three KPIs, kept with the key they were computed under
-- (src/kpis/cache.rs, docs/kpi.md "Live figures and the cache"): a freshly started app server,
-- and every app server of a PostgreSQL deployment, reads them instead of recomputing every
-- batch of a dashboard. Derived from the recorded facts, never typed in: a row whose key no
-- longer matches the batch is recomputed and replaced.
-- Mirror: migrations/postgres/0010_kpi_counts.sql.
create table kpi_counts (
    batch_id blob primary key references batches(id) on delete cascade,
    board_version bigint not null,
    map_version bigint not null,
    period_start text not null,
    period_end text not null,
    planned bigint not null,
    as_of_day text not null,
    delivered bigint not null,
    zero_defect bigint not null,
    scattered bigint not null,
    took_part bigint not null,
    issues bigint not null
);
